import Testing
import RadOps

/// The fused scaled gate against `mul(scale(y, s), g)`, and against finite differences.
@Suite struct RWKV7GatedOutputTests {
    @Test func equalsTheChain() {
        var rng = TestRNG(seed: 41)
        let y = rng.tensor([2, 3, 2, 4]), g = rng.tensor([2, 3, 8], -2, 2)
        let s: Float = 1 / Float(4).squareRoot() * 0.9
        func run(_ f: () -> Tensor) -> [[Float]] {
            for t in [y, g] { t.requiresGrad = true; t.grad = nil }
            let tape = Tape()
            let out = tape.withRecording(f)
            var r = TestRNG(seed: 6)
            tape.backward(out, gradient: r.tensor(out.shape))
            return [out.toArray(), y.grad!.toArray(), g.grad!.toArray()]
        }
        let a = run { mul(scale(y, s).reshaped([2, 3, 8]), g) }
        let b = run { rwkv7GatedOutput(y, gate: g, scale: s) }
        #expect(a == b, "bit for bit: the same operations in the same order")
    }

    @Test func finiteDifferences() {
        var rng = TestRNG(seed: 43)
        let x = [rng.tensor([2, 3, 4]), rng.tensor([2, 3, 4], -2, 2)]
        expectGradientsMatch(x, eps: 1e-2, tolerance: 2e-3) { t in rwkv7GatedOutput(t[0], gate: t[1], scale: 0.35) }
    }
}
