import Foundation

/// Causal attention of a chunk of new queries over a KV cache (inference; no backward).
///
/// Query t (absolute position `start + t`) attends to cached positions `0 ... start + t`. Scores and
/// the weighted sum are GEMMs over strided views of the cache, one (batch, head) pair per task.
public enum CachedAttentionKernel {
    public static func forward(q: UnsafePointer<Float>, keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
                               out: UnsafeMutablePointer<Float>, batch: Int, queries t: Int, start: Int,
                               capacity: Int, heads: Int, kvHeads: Int, headDim n: Int, scale: Float) {
        let length = start + t
        let group = heads / kvHeads
        let qRow = heads * n, kvRow = kvHeads * n
        Parallel.forEach(batch * heads) { job in
            let bi = job / heads, h = job % heads, kvh = h / group
            let scores = UnsafeMutablePointer<Float>.allocate(capacity: t * length)
            defer { scores.deallocate() }
            let qBase = q + bi * t * qRow + h * n
            let kBase = keys + bi * capacity * kvRow + kvh * n
            let vBase = values + bi * capacity * kvRow + kvh * n
            // scores[t, length] = Q[t, n] · K[length, n]ᵀ (strided rows)
            Gemm.sgemm(transA: false, transB: true, m: t, n: length, k: n, alpha: scale,
                       a: qBase, lda: qRow, b: kBase, ldb: kvRow, beta: 0, c: scores, ldc: length)
            for i in 0..<t {
                let visible = start + i + 1
                let s = scores + i * length
                var mx = -Float.infinity
                for j in 0..<visible { mx = max(mx, s[j]) }
                var sum: Float = 0
                for j in 0..<visible { let e = expf(s[j] - mx); s[j] = e; sum += e }
                let inv = 1 / sum
                for j in 0..<visible { s[j] *= inv }
                for j in visible..<length { s[j] = 0 }
            }
            // out[t, n] = P[t, length] · V[length, n]
            Gemm.sgemm(transA: false, transB: false, m: t, n: n, k: length, alpha: 1,
                       a: scores, lda: length, b: vBase, ldb: kvRow, beta: 0, c: out + bi * t * qRow + h * n, ldc: qRow)
        }
    }
}
