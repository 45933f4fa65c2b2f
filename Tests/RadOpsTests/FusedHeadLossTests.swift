import Testing
import RadOps

/// The fused output head and loss against the unfused composition it replaces (linear, then
/// klDivergence / crossEntropy on whole logits), and against finite differences.
@Suite struct FusedHeadLossTests {
    struct Case {
        var n = 37, c = 12, v = 301, tc = 10
        var hidden: Tensor, head: Tensor, teacherHidden: Tensor, teacherHead: Tensor, targets: [Int32]
        init(seed: UInt64) {
            var rng = TestRNG(seed: seed)
            hidden = rng.tensor([n, c], requiresGrad: true)
            head = rng.tensor([v, c], -0.5, 0.5, requiresGrad: true)
            teacherHidden = rng.tensor([n, tc])
            teacherHead = rng.tensor([v, tc], -0.7, 0.7)
            let count = n, vocab = UInt64(v)
            var picks: [Int32] = []
            for _ in 0..<count { picks.append(Int32(rng.next() % vocab)) }
            targets = picks
        }
    }

    /// The unfused path: whole [n, V] logits.
    static func unfused(_ k: Case, _ w: HeadLossKernels.Weights) -> Tensor {
        let s = linear(k.hidden, weight: k.head)
        var total: Tensor? = nil
        if w.kl != 0 { total = scale(klDivergence(teacherLogits: linear(k.teacherHidden, weight: k.teacherHead), studentLogits: s), w.kl) }
        if w.ce != 0 {
            let ce = scale(crossEntropy(logits: s, targets: k.targets), w.ce)
            total = total.map { add($0, ce) } ?? ce
        }
        return total!
    }

    static func fused(_ k: Case, _ w: HeadLossKernels.Weights, block: Int) -> Tensor {
        fusedHeadLoss(hidden: k.hidden, head: k.head, teacherHidden: k.teacherHidden, teacherHead: k.teacherHead,
                      targets: k.targets, weights: w, blockRows: block)
    }

    /// Loss and gradients (upstream 0.7, as with micro-batch seeds) of both paths.
    static func lossAndGrads(_ k: Case, _ f: () -> Tensor) -> (Float, [Float], [Float]) {
        k.hidden.grad = nil; k.head.grad = nil
        let tape = Tape()
        let loss = tape.withRecording(f)
        tape.backward(loss, seed: 0.7)
        return (loss.item, k.hidden.grad!.toArray(), k.head.grad!.toArray())
    }

    static func maxRelative(_ a: [Float], _ b: [Float]) -> Float {
        let scale = max(b.map(abs).max() ?? 1, 1e-6)
        return zip(a, b).map { abs($0 - $1) }.max()! / scale
    }

    @Test(arguments: [(Float(1), Float(0)), (0, 1), (0.6, 0.4)], [1, 8, 37, 512])
    func equalsTheUnfusedPath(_ weights: (Float, Float), _ block: Int) {
        let k = Case(seed: 11)
        let w = HeadLossKernels.Weights(kl: weights.0, ce: weights.1)
        let (l0, h0, w0) = Self.lossAndGrads(k) { Self.unfused(k, w) }
        let (l1, h1, w1) = Self.lossAndGrads(k) { Self.fused(k, w, block: block) }
        #expect(abs(l0 - l1) <= 1e-5 * max(1, abs(l0)))
        #expect(Self.maxRelative(h1, h0) < 1e-5)
        #expect(Self.maxRelative(w1, w0) < 1e-5)
    }

    @Test func withoutATapeItOnlyComputesTheLoss() {
        let k = Case(seed: 5)
        let w = HeadLossKernels.Weights(kl: 1, ce: 0.5)
        let withTape = Self.lossAndGrads(k) { Self.fused(k, w, block: 16) }.0
        k.hidden.grad = nil; k.head.grad = nil
        #expect(Self.fused(k, w, block: 16).item == withTape)
        #expect(k.hidden.grad == nil && k.head.grad == nil)
    }

    @Test(arguments: [(Float(1), Float(0)), (0, 1), (0.5, 2)])
    func finiteDifferences(_ weights: (Float, Float)) {
        var rng = TestRNG(seed: 3)
        let n = 5, c = 4, v = 9
        let h = rng.tensor([n, c]), w = rng.tensor([v, c]), th = rng.tensor([n, 3]), tw = rng.tensor([v, 3])
        let targets: [Int32] = [0, 8, 3, 3, 5]
        expectGradientsMatch([h, w], eps: 1e-2, tolerance: 3e-3) {
            fusedHeadLoss(hidden: $0[0], head: $0[1], teacherHidden: th, teacherHead: tw, targets: targets,
                          weights: .init(kl: weights.0, ce: weights.1), blockRows: 2)
        }
    }
}
