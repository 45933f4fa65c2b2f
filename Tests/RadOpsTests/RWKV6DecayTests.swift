import Testing
import RadOps

/// The fused decay and state balancing against the op-by-op chain RAD-RWKV6 used (the reference), and
/// against finite differences.
@Suite struct RWKV6DecayTests {
    static func reference(pre: Tensor, bias: Tensor, k: Tensor, balance: Bool) -> (Tensor, Tensor) {
        let logw = clampMin(neg(exp(add(pre, bias))), -5).reshaped(k.shape)
        return (logw, balance ? mul(k, addScalar(neg(exp(logw)), 1)) : k)
    }

    static func inputs(seed: UInt64) -> (pre: Tensor, bias: Tensor, k: Tensor) {
        var rng = TestRNG(seed: seed)
        // pre + bias spans both sides of the clamp (−exp(z) < −5 for z > log 5 ≈ 1.61).
        return (rng.tensor([2, 5, 12], -2, 2.5), rng.tensor([12], -0.5, 0.5), rng.tensor([2, 5, 3, 4]))
    }

    @Test(arguments: [true, false])
    func equalsTheChainBitForBit(_ balance: Bool) {
        let (pre, bias, k) = Self.inputs(seed: 13)
        func run(_ f: () -> (Tensor, Tensor)) -> [[Float]] {
            for t in [pre, bias, k] { t.requiresGrad = true; t.grad = nil }
            let tape = Tape()
            let (l, kk) = tape.withRecording(f)
            var rng = TestRNG(seed: 2)
            tape.backward(seeds: [(l, rng.tensor(l.shape)), (kk, rng.tensor(kk.shape))])
            return [l.toArray(), kk.toArray(), pre.grad!.toArray(), bias.grad!.toArray(), k.grad!.toArray()]
        }
        let a = run { Self.reference(pre: pre, bias: bias, k: k, balance: balance) }
        let b = run { let r = rwkv6Decay(pre: pre, bias: bias, k: k, balance: balance); return (r.logw, r.k) }
        for i in [0, 1, 2] { #expect(a[i] == b[i], "output/gradient \(i)") }
        // The bias gradient sums rows in the same order but as one column pass: equal within rounding.
        #expect(zip(a[3], b[3]).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($0)) })
        #expect(a[4] == b[4])
    }

    @Test func finiteDifferences() {
        let (pre, bias, k) = Self.inputs(seed: 29)
        expectGradientsMatch([pre, bias, k], eps: 1e-3, tolerance: 3e-3) { t in
            let r = rwkv6Decay(pre: t[0], bias: t[1], k: t[2], balance: true)
            return add(r.logw, scale(r.k, 1.7))
        }
    }
}
