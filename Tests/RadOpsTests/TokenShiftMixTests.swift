import Testing
import RadOps

/// The fused RWKV-6 token shift against the composition of separate ops it replaces (kept here as the
/// reference), and against finite differences.
@Suite struct TokenShiftMixTests {
    /// The unfused ddlerp, op by op, as RAD-RWKV6 computed it before `tokenShiftMix`.
    static func reference(_ x: Tensor, previous: Tensor?, maaX: Tensor, w1: Tensor, w2: Tensor, maa: [Tensor]) -> [Tensor] {
        let b = x.shape[0], t = x.shape[1], c = x.shape[2], k = maa.count, rank = w1.shape[1] / k
        let dx = sub(shiftTokens(x, previous: previous), x)
        let xx = add(x, mul(dx, maaX))
        let m = tanh(matmul(xx.reshaped([b * t, c]), w1))
        let perTarget = matmul(swapLeadingAxes(m.reshaped([b * t, k, rank])), w2)
        return (0..<k).map { i in add(x, mul(dx, add(perTarget.rows(i..<(i + 1)).reshaped([b, t, c]), maa[i]))) }
    }

    struct Inputs {
        var x, maaX, w1, w2: Tensor
        var maa: [Tensor]
        var previous: Tensor?
        init(b: Int, t: Int, c: Int, k: Int, r: Int, previous: Bool, seed: UInt64) {
            var rng = TestRNG(seed: seed)
            x = rng.tensor([b, t, c]); maaX = rng.tensor([c], 0, 1)
            w1 = rng.tensor([c, k * r], -0.5, 0.5); w2 = rng.tensor([k, r, c], -0.5, 0.5)
            maa = (0..<k).map { _ in rng.tensor([c], 0, 1) }
            self.previous = previous ? rng.tensor([b, c]) : nil
        }
        var all: [Tensor] { [x, maaX, w1, w2] + maa }
    }

    static func maxDifference(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).map { abs($0 - $1) }.max() ?? 0 }

    @Test(arguments: [false, true])
    func equalsTheComposition(_ withPrevious: Bool) {
        let inp = Inputs(b: 3, t: 7, c: 10, k: 5, r: 4, previous: withPrevious, seed: 21)
        func run(_ f: (Inputs) -> [Tensor]) -> ([[Float]], [[Float]]) {
            for t in inp.all { t.requiresGrad = true; t.grad = nil }
            let tape = Tape()
            let outs = tape.withRecording { f(inp) }
            var rng = TestRNG(seed: 4)
            tape.backward(seeds: outs.map { ($0, rng.tensor($0.shape)) })
            return (outs.map { $0.toArray() }, inp.all.map { $0.grad!.toArray() })
        }
        let (y0, g0) = run { Self.reference($0.x, previous: $0.previous, maaX: $0.maaX, w1: $0.w1, w2: $0.w2, maa: $0.maa) }
        let (y1, g1) = run { tokenShiftMix($0.x, previous: $0.previous, maaX: $0.maaX, w1: $0.w1, w2: $0.w2, maa: $0.maa) }
        for (a, b) in zip(y1, y0) { #expect(Self.maxDifference(a, b) < 1e-5) }
        for (i, (a, b)) in zip(g1, g0).enumerated() { #expect(Self.maxDifference(a, b) < 1e-4, "gradient of input \(i)") }
    }

    @Test func aMixWithoutGradientIsSkipped() {
        let inp = Inputs(b: 2, t: 4, c: 6, k: 3, r: 2, previous: false, seed: 8)
        for t in inp.all { t.requiresGrad = true; t.grad = nil }
        let tape = Tape()
        let outs = tape.withRecording { tokenShiftMix(inp.x, maaX: inp.maaX, w1: inp.w1, w2: inp.w2, maa: inp.maa) }
        tape.backward(outs[1], gradient: Tensor(shape: outs[1].shape) { _ in 1 })
        #expect(inp.maa[0].grad.map { $0.toArray().allSatisfy { $0 == 0 } } ?? true)
        #expect(inp.maa[1].grad != nil && inp.x.grad != nil)
    }

    @Test func finiteDifferences() {
        let inp = Inputs(b: 2, t: 3, c: 4, k: 2, r: 3, previous: false, seed: 5)
        expectGradientsMatch(inp.all, eps: 1e-2, tolerance: 3e-3) { t in
            let outs = tokenShiftMix(t[0], maaX: t[1], w1: t[2], w2: t[3], maa: Array(t[4...]))
            return weightedSum(outs)
        }
    }
}

/// Σᵢ (1 + 0.37 i) · xsᵢ: one tensor whose finite-difference check covers every output (with distinct
/// weights, so a gradient routed to the wrong output shows).
private func weightedSum(_ xs: [Tensor]) -> Tensor {
    var total = xs[0]
    for (i, x) in xs.enumerated().dropFirst() { total = add(total, scale(x, 1 + 0.37 * Float(i))) }
    return total
}
