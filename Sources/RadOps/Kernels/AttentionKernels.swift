import Foundation

/// Causal softmax attention with grouped-query heads. Layouts are the projection outputs reshaped,
/// never transposed: q [B, T, H, N], k/v [B, T, KVH, N], out [B, T, H, N]. One (batch, head) pair is a
/// strided matrix (leading dimension H·N or KVH·N).
/// Query head h reads kv head `h / (H / KVH)` (HF `repeat_kv`).
/// The training and full-sequence kernels are the blocked ones (`causalForward`, `causalBackward` in
/// BlockedAttentionKernels.swift); this file keeps the decoding step and the references tests compare with.
public struct AttentionShape: Sendable {
    public let batch, t, heads, kvHeads, n: Int
    public init(batch: Int, t: Int, heads: Int, kvHeads: Int, n: Int) {
        (self.batch, self.t, self.heads, self.kvHeads, self.n) = (batch, t, heads, kvHeads, n)
    }
    @inlinable func qOffset(_ b: Int, _ h: Int) -> Int { b * t * heads * n + h * n }
    @inlinable func kvOffset(_ b: Int, _ h: Int) -> Int { b * t * kvHeads * n + (h / (heads / kvHeads)) * n }
}

public enum AttentionKernels {
    /// Reference for tests (the kernel before blocking): per head, the whole [T, T] score matrix with one
    /// sgemm, a causal softmax over rows, then P·V. `probs` receives the softmax matrices [B, H, T, T] when
    /// non-nil (what `unblockedBackward` needs); otherwise a [T, T] scratch is used per head.
    public static func unblockedForward(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                                     out: UnsafeMutablePointer<Float>, probs: UnsafeMutablePointer<Float>?,
                                     shape s: AttentionShape, scale: Float) {
        let t = s.t, ldq = s.heads * s.n, ldk = s.kvHeads * s.n
        let scratch = probs == nil ? TensorStorage(count: t * t) : nil
        defer { withExtendedLifetime(scratch) {} }
        for b in 0..<s.batch {
            for h in 0..<s.heads {
                let p = probs.map { $0 + (b * s.heads + h) * t * t } ?? scratch!.pointer
                Gemm.sgemm(transA: false, transB: true, m: t, n: t, k: s.n, alpha: scale,
                           a: q + s.qOffset(b, h), lda: ldq, b: k + s.kvOffset(b, h), ldb: ldk, c: p, ldc: t)
                causalSoftmaxRows(p, t: t)
                Gemm.sgemm(transA: false, transB: false, m: t, n: s.n, k: t, a: p, lda: t,
                           b: v + s.kvOffset(b, h), ldb: ldk, c: out + s.qOffset(b, h), ldc: ldq)
            }
        }
    }

    /// Row i of the [T, T] score matrix becomes softmax over columns 0...i; later columns become 0.
    public static func causalSoftmaxRows(_ p: UnsafeMutablePointer<Float>, t: Int) {
        Parallel.forRanges(t, minPerThread: 64) { range in
            for i in range {
                let row = p + i * t
                let m = VectorReduce.max(row, i + 1)
                for j in 0...i { row[j] = FastMath.exp(row[j] - m) }
                let inv = 1 / VectorReduce.sum(row, i + 1)
                for j in 0...i { row[j] *= inv }
                for j in (i + 1)..<t { row[j] = 0 }
            }
        }
    }

    /// Reference for tests: the backward from `unblockedForward`'s stored probabilities; accumulates into
    /// dq, dk, dv (any may be nil).
    /// dP = dO·Vᵀ; dS = P ⊙ (dP − rowsum(dP ⊙ P)); dQ += scale dS·K; dK += scale dSᵀ·Q; dV += Pᵀ·dO.
    public static func unblockedBackward(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                                      probs: UnsafePointer<Float>, dOut: UnsafePointer<Float>,
                                      dq: UnsafeMutablePointer<Float>?, dk: UnsafeMutablePointer<Float>?,
                                      dv: UnsafeMutablePointer<Float>?, shape s: AttentionShape, scale: Float) {
        let t = s.t, ldq = s.heads * s.n, ldk = s.kvHeads * s.n
        let dsStorage = TensorStorage(count: t * t)
        defer { withExtendedLifetime(dsStorage) {} }
        let ds = dsStorage.pointer
        for b in 0..<s.batch {
            for h in 0..<s.heads {
                let p = probs + (b * s.heads + h) * t * t
                let qo = s.qOffset(b, h), ko = s.kvOffset(b, h)
                if let dv {
                    Gemm.sgemm(transA: true, transB: false, m: t, n: s.n, k: t, a: p, lda: t,
                               b: dOut + qo, ldb: ldq, beta: 1, c: dv + ko, ldc: ldk)
                }
                guard dq != nil || dk != nil else { continue }
                Gemm.sgemm(transA: false, transB: true, m: t, n: t, k: s.n, a: dOut + qo, lda: ldq,
                           b: v + ko, ldb: ldk, c: ds, ldc: t)
                Parallel.forRanges(t, minPerThread: 64) { range in
                    for i in range {
                        let pr = p + i * t, dr = ds + i * t
                        let dot = VectorReduce.dot(pr, dr, i + 1)
                        for j in 0...i { dr[j] = pr[j] * (dr[j] - dot) }
                        for j in (i + 1)..<t { dr[j] = 0 }
                    }
                }
                if let dq {
                    Gemm.sgemm(transA: false, transB: false, m: t, n: s.n, k: t, alpha: scale, a: ds, lda: t,
                               b: k + ko, ldb: ldk, beta: 1, c: dq + qo, ldc: ldq)
                }
                if let dk {
                    Gemm.sgemm(transA: true, transB: false, m: t, n: s.n, k: t, alpha: scale, a: ds, lda: t,
                               b: q + qo, ldb: ldq, beta: 1, c: dk + ko, ldc: ldk)
                }
            }
        }
    }

    /// Attention of `tn` new tokens q [tn, H, N] at positions `start ..< start + tn` against a cache
    /// k/v [maxT, KVH, N] whose rows `0 ..< start + tn` are filled; token i sees cache rows 0...start+i.
    /// Writes out [tn, H, N]. No tape: this is the decoding path.
    public static func step(q: UnsafePointer<Float>, kCache: UnsafePointer<Float>, vCache: UnsafePointer<Float>,
                            out: UnsafeMutablePointer<Float>, tn: Int, start: Int, heads: Int, kvHeads: Int, n: Int,
                            scale: Float) {
        let group = heads / kvHeads, ldk = kvHeads * n
        Parallel.forEach(tn * heads, minPerThread: 4) { idx in
            let i = idx / heads, h = idx % heads, kvh = h / group, len = start + i + 1
            let qr = q + idx * n, o = out + idx * n
            let scores = UnsafeMutablePointer<Float>.allocate(capacity: len)
            defer { scores.deallocate() }
            var m = -Float.infinity
            for j in 0..<len {
                let kr = kCache + j * ldk + kvh * n
                scores[j] = VectorReduce.dot(qr, kr, n) * scale; m = max(m, scores[j])
            }
            for j in 0..<len { scores[j] = FastMath.exp(scores[j] - m) }
            let sum = VectorReduce.sum(scores, len)
            for e in 0..<n { o[e] = 0 }
            for j in 0..<len {
                let w = scores[j] / sum, vr = vCache + j * ldk + kvh * n
                for e in 0..<n { o[e] += w * vr[e] }
            }
        }
    }

    /// Reference in Double: explicit loops, exp of masked scores, GQA by index.
    public static func reference(q: [Float], k: [Float], v: [Float], shape s: AttentionShape, scale: Float) -> [Float] {
        var out = [Float](repeating: 0, count: q.count)
        let group = s.heads / s.kvHeads
        for b in 0..<s.batch { for h in 0..<s.heads { for i in 0..<s.t {
            let qi = ((b * s.t + i) * s.heads + h) * s.n
            let w = referenceScores(q: q, k: k, shape: s, scale: scale, batch: b, head: h, row: i)
            let m = w.max()!
            let ex = w.map { Foundation.exp($0 - m) }, z = ex.reduce(0, +)
            for e in 0..<s.n {
                var acc = 0.0
                for j in 0...i { acc += ex[j] / z * Double(v[((b * s.t + j) * s.kvHeads + h / group) * s.n + e]) }
                out[qi + e] = Float(acc)
            }
        } } }
        return out
    }

    /// The scaled scores of query `row` of (batch, head) against keys 0...row, in Double (the references'
    /// shared part; the causal mask is the range).
    public static func referenceScores(q: [Float], k: [Float], shape s: AttentionShape, scale: Float,
                                       batch b: Int, head h: Int, row i: Int) -> [Double] {
        let qi = ((b * s.t + i) * s.heads + h) * s.n, kvh = h / (s.heads / s.kvHeads)
        return (0...i).map { j in
            let kj = ((b * s.t + j) * s.kvHeads + kvh) * s.n
            var d = 0.0
            for e in 0..<s.n { d += Double(q[qi + e]) * Double(k[kj + e]) }
            return d * Double(scale)
        }
    }
}
