import Testing
import Foundation
import RadOps

/// The blocked causal attention kernels (BlockedAttentionKernels.swift) against the Double reference,
/// finite differences, and the unblocked kernels they replaced: sequences shorter than a block, of one
/// token, of several blocks with a ragged last one, GQA groups of 1, 2 and 4 heads, batches of 2, and a
/// head width (80) that takes the smaller block size.
@Suite struct BlockedAttentionTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let b, t, h, kvh, n: Int
        var testDescription: String { "B\(b) T\(t) H\(h)/\(kvh) N\(n)" }
        var shape: AttentionShape { AttentionShape(batch: b, t: t, heads: h, kvHeads: kvh, n: n) }
        var scale: Float { 1 / Float(n).squareRoot() }
    }

    static let cases: [Case] = [
        Case(b: 1, t: 1, h: 2, kvh: 1, n: 4),       // one token
        Case(b: 2, t: 37, h: 4, kvh: 2, n: 8),      // shorter than a block
        Case(b: 1, t: 64, h: 2, kvh: 2, n: 16),     // exactly one block
        Case(b: 2, t: 150, h: 4, kvh: 2, n: 16),    // several blocks, the last ragged
        Case(b: 1, t: 200, h: 4, kvh: 1, n: 8),     // GQA 4:1
        Case(b: 2, t: 129, h: 4, kvh: 4, n: 12),    // no grouping; a last block of one row
        Case(b: 1, t: 100, h: 2, kvh: 1, n: 80),    // wide heads: blocks of 32 rows
    ]

    /// Log-sum-exp of every scaled, masked score row, in Double: [B, H, T].
    static func referenceLSE(q: [Float], k: [Float], shape s: AttentionShape, scale: Float) -> [Double] {
        var out = [Double](repeating: 0, count: s.batch * s.heads * s.t)
        for b in 0..<s.batch { for h in 0..<s.heads { for i in 0..<s.t {
            let w = AttentionKernels.referenceScores(q: q, k: k, shape: s, scale: scale, batch: b, head: h, row: i)
            let m = w.max()!
            out[(b * s.heads + h) * s.t + i] = m + Foundation.log(w.reduce(0) { $0 + Foundation.exp($1 - m) })
        } } }
        return out
    }

    @Test(arguments: cases)
    func forwardMatchesReference(_ c: Case) {
        var rng = TestRNG(seed: 71)
        let q = rng.tensor([c.b, c.t, c.h, c.n], -2, 2), k = rng.tensor([c.b, c.t, c.kvh, c.n], -2, 2)
        let v = rng.tensor([c.b, c.t, c.kvh, c.n])
        let ref = AttentionKernels.reference(q: q.toArray(), k: k.toArray(), v: v.toArray(), shape: c.shape, scale: c.scale)
        #expect(maxAbsDiff(causalAttention(q: q, k: k, v: v, scale: c.scale).toArray(), ref) < 2e-6)

        let out = Tensor(zeros: q.shape), lse = Tensor(zeros: [c.b, c.h, c.t])
        AttentionKernels.causalForward(q: q.data, k: k.data, v: v.data, out: out.data, lse: lse.data, shape: c.shape, scale: c.scale)
        #expect(maxAbsDiff(out.toArray(), ref) < 2e-6)
        let refLSE = Self.referenceLSE(q: q.toArray(), k: k.toArray(), shape: c.shape, scale: c.scale)
        #expect(maxAbsDiff(lse.toArray(), refLSE.map(Float.init)) < 1e-5)
    }

    /// dq, dk, dv of the blocked backward equal the unblocked backward's (from the stored [B, H, T, T]
    /// probabilities) to fp32 rounding, accumulating into gradients that already hold values; and with
    /// only some of them requested.
    @Test(arguments: cases)
    func backwardMatchesUnblocked(_ c: Case) {
        var rng = TestRNG(seed: 72)
        let q = rng.tensor([c.b, c.t, c.h, c.n], -2, 2), k = rng.tensor([c.b, c.t, c.kvh, c.n], -2, 2)
        let v = rng.tensor([c.b, c.t, c.kvh, c.n]), dOut = rng.tensor(q.shape)
        let dq0 = rng.tensor(q.shape), dk0 = rng.tensor(k.shape), dv0 = rng.tensor(v.shape)

        let probs = Tensor(zeros: [c.b, c.h, c.t, c.t]), outU = Tensor(zeros: q.shape)
        AttentionKernels.unblockedForward(q: q.data, k: k.data, v: v.data, out: outU.data, probs: probs.data,
                                          shape: c.shape, scale: c.scale)
        let out = Tensor(zeros: q.shape), lse = Tensor(zeros: [c.b, c.h, c.t])
        AttentionKernels.causalForward(q: q.data, k: k.data, v: v.data, out: out.data, lse: lse.data, shape: c.shape, scale: c.scale)
        #expect(maxAbsDiff(out.toArray(), outU.toArray()) < 2e-6)

        for (wantQ, wantK, wantV) in [(true, true, true), (false, false, true), (true, false, false), (false, true, false)] {
            let (dqU, dkU, dvU) = (dq0.copy(), dk0.copy(), dv0.copy())
            let (dqB, dkB, dvB) = (dq0.copy(), dk0.copy(), dv0.copy())
            AttentionKernels.unblockedBackward(q: q.data, k: k.data, v: v.data, probs: probs.data, dOut: dOut.data,
                                               dq: wantQ ? dqU.data : nil, dk: wantK ? dkU.data : nil,
                                               dv: wantV ? dvU.data : nil, shape: c.shape, scale: c.scale)
            AttentionKernels.causalBackward(q: q.data, k: k.data, v: v.data, out: out.data, lse: lse.data, dOut: dOut.data,
                                            dq: wantQ ? dqB.data : nil, dk: wantK ? dkB.data : nil,
                                            dv: wantV ? dvB.data : nil, shape: c.shape, scale: c.scale)
            // Gradients sum up to T terms of size ~1: allow rounding relative to that.
            let tol = 2e-6 * Float(max(8, c.t)).squareRoot() * 4
            #expect(maxAbsDiff(dqB.toArray(), dqU.toArray()) < tol, "dq (\(wantQ) \(wantK) \(wantV))")
            #expect(maxAbsDiff(dkB.toArray(), dkU.toArray()) < tol, "dk (\(wantQ) \(wantK) \(wantV))")
            #expect(maxAbsDiff(dvB.toArray(), dvU.toArray()) < tol, "dv (\(wantQ) \(wantK) \(wantV))")
            if !wantQ { #expect(dqB.toArray() == dq0.toArray()) }
            if !wantK { #expect(dkB.toArray() == dk0.toArray()) }
            if !wantV { #expect(dvB.toArray() == dv0.toArray()) }
        }
    }

    /// Every gradient element by central differences, across two blocks (T = 70) with GQA and a batch of 2.
    @Test func gradientsMatchFiniteDifferences() {
        var rng = TestRNG(seed: 73)
        let q = rng.tensor([2, 70, 2, 3]), k = rng.tensor([2, 70, 1, 3]), v = rng.tensor([2, 70, 1, 3])
        expectGradientsMatch([q, k, v]) { causalAttention(q: $0[0], k: $0[1], v: $0[2], scale: 0.7) }
        let q1 = rng.tensor([1, 1, 4, 3]), k1 = rng.tensor([1, 1, 2, 3]), v1 = rng.tensor([1, 1, 2, 3])
        expectGradientsMatch([q1, k1, v1]) { causalAttention(q: $0[0], k: $0[1], v: $0[2], scale: 0.7) }
    }

    /// Directional derivatives on larger shapes (several blocks, every thread busy).
    @Test(arguments: [cases[3], cases[4], cases[6]])
    func directionalDerivatives(_ c: Case) {
        var rng = TestRNG(seed: 74)
        let q = rng.tensor([c.b, c.t, c.h, c.n]), k = rng.tensor([c.b, c.t, c.kvh, c.n]), v = rng.tensor([c.b, c.t, c.kvh, c.n])
        ParallelPathTests().expectDirectionalDerivative([q, k, v], eps: 3e-3) {
            causalAttention(q: $0[0], k: $0[1], v: $0[2], scale: c.scale)
        }
    }
}
