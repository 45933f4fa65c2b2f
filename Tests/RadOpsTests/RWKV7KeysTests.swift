import Foundation
import Testing
import RadOps

/// The fused RWKV-7 decay, iclr and keys against the op-by-op chain RAD-RWKV7 used (the reference), and
/// against finite differences.
@Suite struct RWKV7KeysTests {
    /// The unfused chain, op by op, as RAD-RWKV7 computed it before `rwkv7Keys`.
    static func reference(hW: Tensor, w2: Tensor, w0: Tensor, hA: Tensor, a2: Tensor, a0: Tensor, k: Tensor, groups: Int,
                          standard: (kK: Tensor, kA: Tensor)?) -> [Tensor] {
        let b = k.shape[0], t = k.shape[1], n = k.shape[3], h = k.shape[2] * groups, d = h * n
        let shape4 = [b, t, h, n]
        let dd = add(matmul(hW, w2).reshaped([b, t, d]), w0)
        let a = sigmoid(add(matmul(hA, a2).reshaped([b, t, d]), a0))
        let logw = scale(sigmoid(dd), -Float(exp(-0.5)))
        var kFull = repeatHeads(k, groups: groups).reshaped([b, t, d])
        let kappa: Tensor
        if let standard {
            kappa = normalizePerHead(mul(kFull, standard.kK), headDim: n)
            kFull = mul(kFull, addScalar(mul(addScalar(a, -1), standard.kA), 1))
        } else {
            kappa = normalizePerHead(kFull, headDim: n)
            kFull = mul(kFull, add(addScalar(neg(exp(logw)), 1), a))
        }
        return [logw.reshaped(shape4), kFull.reshaped(shape4), neg(kappa).reshaped(shape4), mul(kappa, a).reshaped(shape4)]
    }

    struct Inputs {
        var hW, w2, w0, hA, a2, a0, k, kK, kA: Tensor
        let groups: Int, standard: Bool
        init(b: Int, t: Int, kvh: Int, groups: Int, n: Int, rank: Int = 3, standard: Bool, seed: UInt64) {
            var rng = TestRNG(seed: seed)
            let d = kvh * groups * n
            hW = rng.tensor([b * t, rank]); w2 = rng.tensor([rank, d], -1.5, 1.5); w0 = rng.tensor([1, 1, d], -1, 1)
            hA = rng.tensor([b * t, rank]); a2 = rng.tensor([rank, d]); a0 = rng.tensor([1, 1, d], -0.5, 0.5)
            k = rng.tensor([b, t, kvh, n]); kK = rng.tensor([1, 1, d], 0.5, 1.2); kA = rng.tensor([1, 1, d], 0.5, 1.5)
            self.groups = groups; self.standard = standard
        }
        var all: [Tensor] { [hW, w2, w0, hA, a2, a0, k] + (standard ? [kK, kA] : []) }
        var std: (kK: Tensor, kA: Tensor)? { standard ? (kK, kA) : nil }
    }

    static func fused(_ i: Inputs) -> [Tensor] {
        let r = rwkv7Keys(decay: RWKV7LowRank(i.hW, i.w2), w0: i.w0, iclr: RWKV7LowRank(i.hA, i.a2), a0: i.a0, k: i.k,
                          groups: i.groups, standard: i.std)
        return [r.logw, r.k, r.alpha, r.beta]
    }

    static func run(_ inp: Inputs, _ f: (Inputs) -> [Tensor]) -> (outputs: [[Float]], grads: [[Float]]) {
        for t in inp.all { t.requiresGrad = true; t.grad = nil }
        let tape = Tape()
        let outs = tape.withRecording { f(inp) }
        var rng = TestRNG(seed: 3)
        tape.backward(seeds: outs.map { ($0, rng.tensor($0.shape)) })
        return (outs.map { $0.toArray() }, inp.all.map { $0.grad!.toArray() })
    }

    @Test(arguments: [(false, 3), (true, 3), (false, 1), (true, 2)])
    func equalsTheChain(_ standard: Bool, _ groups: Int) {
        let inp = Inputs(b: 2, t: 5, kvh: 2, groups: groups, n: 8, standard: standard, seed: 17)
        let ref = Self.run(inp) {
            Self.reference(hW: $0.hW, w2: $0.w2, w0: $0.w0, hA: $0.hA, a2: $0.a2, a0: $0.a0, k: $0.k, groups: $0.groups, standard: $0.std)
        }
        let new = Self.run(inp, Self.fused)
        // The forward runs the chain's operations in its order: equal bit for bit.
        for (i, (a, b)) in zip(new.outputs, ref.outputs).enumerated() { #expect(a == b, "output \(i)") }
        // Gradients sum in another order (and σ(dd) is recovered from logw): equal within rounding.
        for (i, (a, b)) in zip(new.grads, ref.grads).enumerated() {
            #expect(maxAbsDiff(a, b) <= 2e-5 * max(1, b.map(abs).max() ?? 0), "gradient of input \(i)")
        }
    }

    @Test func noTapeNoRecord() {
        let inp = Inputs(b: 1, t: 3, kvh: 1, groups: 2, n: 4, standard: false, seed: 5)
        let r = rwkv7Keys(decay: RWKV7LowRank(inp.hW, inp.w2), w0: inp.w0, iclr: RWKV7LowRank(inp.hA, inp.a2), a0: inp.a0,
                          k: inp.k, groups: 2)
        #expect(r.logw.shape == [1, 3, 2, 4] && !r.logw.requiresGrad)
    }

    @Test(arguments: [false, true])
    func finiteDifferences(_ standard: Bool) {
        let inp = Inputs(b: 2, t: 3, kvh: 1, groups: 2, n: 4, standard: standard, seed: 31)
        expectGradientsMatch(inp.all, eps: 1e-3, tolerance: 4e-3) { t in
            let r = rwkv7Keys(decay: RWKV7LowRank(t[0], t[1]), w0: t[2], iclr: RWKV7LowRank(t[3], t[4]), a0: t[5], k: t[6],
                              groups: 2, standard: standard ? (t[7], t[8]) : nil)
            return add(add(r.logw, scale(r.k, 1.3)), add(scale(r.alpha, 0.7), scale(r.beta, 1.9)))
        }
    }
}
