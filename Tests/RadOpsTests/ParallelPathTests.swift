import Testing
import Foundation
import RadOps

/// The gradient checks use tiny shapes that stay on one thread; these cover the multi-threaded and
/// blocked paths (many rows, long rows, long sequences) against references and directional derivatives.
@Suite struct ParallelPathTests {
    /// d/dε Σ f(x + ε·d) ⊙ w at ε = 0, numerically, against Σ grad ⊙ d from the tape.
    func expectDirectionalDerivative(_ inputs: [Tensor], eps: Float = 1e-2, tolerance: Double = 2e-3,
                                     sourceLocation: SourceLocation = #_sourceLocation, _ f: ([Tensor]) -> Tensor) {
        var rng = TestRNG(seed: 99)
        for t in inputs { t.requiresGrad = true; t.grad = nil }
        let tape = Tape()
        let out = tape.withRecording { f(inputs) }
        let w = rng.tensor(out.shape)
        tape.backward(out, gradient: w)
        let dirs = inputs.map { rng.tensor($0.shape) }
        var analytic = 0.0
        for (t, d) in zip(inputs, dirs) {
            let g = t.grad?.toArray() ?? [], dv = d.toArray()
            for i in 0..<g.count { analytic += Double(g[i]) * Double(dv[i]) }
        }
        func loss(_ s: Float) -> Double {
            let moved = zip(inputs, dirs).map { t, d in Tensor(shape: t.shape) { t.data[$0] + s * d.data[$0] } }
            let y = f(moved).toArray(), wv = w.toArray()
            return zip(y, wv).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        }
        let numeric = (loss(eps) - loss(-eps)) / (2 * Double(eps))
        #expect(abs(numeric - analytic) <= tolerance * max(1, abs(numeric)),
                "analytic \(analytic) vs numeric \(numeric)", sourceLocation: sourceLocation)
    }

    @Test func normsOnManyRows() {
        var rng = TestRNG(seed: 61)
        let x = rng.tensor([200, 24], -2, 2), w = rng.tensor([24]), b = rng.tensor([24])
        expectDirectionalDerivative([x, w]) { rmsNorm($0[0], weight: $0[1], eps: 1e-5) }
        expectDirectionalDerivative([x, w, b]) { groupNorm($0[0], groups: 4, weight: $0[1], bias: $0[2], eps: 1e-5) }
    }

    @Test func attentionOnALongSequence() {
        var rng = TestRNG(seed: 62)
        let (t, h, kvh, n) = (150, 2, 1, 4)
        let q = rng.tensor([1, t, h, n]), k = rng.tensor([1, t, kvh, n]), v = rng.tensor([1, t, kvh, n])
        let out = causalAttention(q: q, k: k, v: v, scale: 0.5)
        let ref = AttentionKernels.reference(q: q.toArray(), k: k.toArray(), v: v.toArray(),
                                             shape: AttentionShape(batch: 1, t: t, heads: h, kvHeads: kvh, n: n), scale: 0.5)
        #expect(maxAbsDiff(out.toArray(), ref) < 2e-6)
        expectDirectionalDerivative([q, k, v], eps: 3e-3) { causalAttention(q: $0[0], k: $0[1], v: $0[2], scale: 0.5) }
    }

    @Test func lossesOnALargeVocabulary() {
        var rng = TestRNG(seed: 63)
        let (rows, v) = (20, 3000)
        let t = rng.tensor([rows, v], -6, 6), s = rng.tensor([rows, v], -6, 6)
        let kl = klDivergence(teacherLogits: t, studentLogits: s, chunkSize: 7)
        #expect(abs(Double(kl.item) - LossKernels.referenceKL(teacher: t.toArray(), student: s.toArray(), v: v)) < 2e-5)
        let targets = (0..<rows).map { Int32(($0 * 997) % v) }
        let ce = crossEntropy(logits: s, targets: targets)
        #expect(abs(Double(ce.item) - LossKernels.referenceCrossEntropy(s.toArray(), targets: targets, v: v)) < 2e-5)
        let ls = logSoftmax(s).toArray(), ref = LossKernels.referenceLogSoftmax(s.toArray(), v: v).map(Float.init)
        #expect(maxAbsDiff(ls, ref) < 1e-5)
        expectDirectionalDerivative([s]) { klDivergence(teacherLogits: t, studentLogits: $0[0], chunkSize: 7) }
        expectDirectionalDerivative([s]) { crossEntropy(logits: $0[0], targets: targets) }
    }

    @Test func elementwiseGradientsOnLargeTensors() {
        var rng = TestRNG(seed: 64)
        let a = rng.tensor([200, 700], -3, 3), b = rng.tensor([200, 700]), c = rng.tensor([700])
        expectDirectionalDerivative([a, b]) { swiGLU(gate: $0[0], up: $0[1]) }
        expectDirectionalDerivative([a, c]) { mul($0[0], $0[1]) }
        expectDirectionalDerivative([a]) { silu($0[0]) }
        expectDirectionalDerivative([a]) { sigmoid(scale($0[0], 0.5)) }
    }

    /// repeatHeads and addBias split rows over the threads from 512 and 128 rows on.
    @Test func headCopiesAndBiasOnManyRows() {
        var rng = TestRNG(seed: 8)
        let x = rng.tensor([2, 300, 2, 5])
        let y = repeatHeads(x, groups: 3).toArray(), xv = x.toArray()
        var expected: [Float] = []
        for r in 0..<600 { for h in 0..<2 { for _ in 0..<3 { expected += xv[((r * 2 + h) * 5)..<((r * 2 + h + 1) * 5)] } } }
        #expect(y == expected)
        expectDirectionalDerivative([x]) { repeatHeads($0[0], groups: 3) }
        let rows = rng.tensor([700, 9]), bias = rng.tensor([9])
        let sum = addBias(rows, bias).toArray(), rv = rows.toArray(), bv = bias.toArray()
        #expect(sum == (0..<rv.count).map { rv[$0] + bv[$0 % 9] })
        expectDirectionalDerivative([rows, bias]) { addBias($0[0], $0[1]) }
    }
}
