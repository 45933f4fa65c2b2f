import Foundation

/// Blocked causal attention (FlashAttention-2 order) over the layouts of `AttentionShape`: queries and
/// keys are cut into blocks of `blockRows` rows; a query block meets only the key blocks at or before
/// it (the ones past the diagonal are all masked and never computed), with an online softmax, so no
/// [T, T] matrix exists and training keeps only the log-sum-exp of each row [B, H, T].
///
/// Threads: the work items (one query block of one head forward, one key block of one kv head backward)
/// are spread over `Parallel` threads, and each calls single-threaded-sized sgemms on its blocks.
extension AttentionKernels {
    /// Rows per query block and per key block (the same, so that a diagonal block starts where its query
    /// block does). OpenBLAS (0.3.x interface/gemm.c) runs an sgemm with m·n·k ≤ 2¹⁸ on the calling thread
    /// only, so block GEMMs of this size, called from our threads at once, never start OpenBLAS threads on
    /// top of ours: 64 rows for N ≤ 64, smaller for wider heads.
    @inlinable static func blockRows(n: Int) -> Int {
        var bs = 64
        while bs > 8 && bs * bs * n > 1 << 18 { bs /= 2 }
        return bs
    }

    /// The block handled at position `i` of `0..<count`: 0, count−1, 1, count−2, … Causal blocks differ in
    /// cost (a query block late in the sequence meets more key blocks), so alternating big and small ones
    /// gives the contiguous ranges of `Parallel.forRanges` about equal work.
    @inlinable static func zigzag(_ i: Int, _ count: Int) -> Int { i % 2 == 0 ? i / 2 : count - 1 - i / 2 }

    /// Forward: writes out [B, T, H, N] and, when `lse` is non-nil, the log-sum-exp of every scaled score
    /// row [B, H, T] (what `causalBackward` recomputes the probabilities from).
    public static func causalForward(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                                     out: UnsafeMutablePointer<Float>, lse: UnsafeMutablePointer<Float>?,
                                     shape s: AttentionShape, scale: Float) {
        let t = s.t, n = s.n, bs = blockRows(n: n), nb = (t + bs - 1) / bs
        let ldq = s.heads * n, ldk = s.kvHeads * n
        Parallel.forRanges(s.batch * s.heads * nb) { range in
            // Per thread: scores/probabilities [bs, bs], output accumulator [bs, N], running max and sum.
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: bs * bs + bs * n + 2 * bs)
            defer { scratch.deallocate() }
            let p = scratch, acc = scratch + bs * bs, m = acc + bs * n, l = m + bs
            for task in range {
                let bh = task / nb, ib = zigzag(task % nb, nb), b = bh / s.heads, h = bh % s.heads
                let i0 = ib * bs, rows = min(bs, t - i0)
                let qb = q + s.qOffset(b, h) + i0 * ldq, kvo = s.kvOffset(b, h)
                m.update(repeating: -.infinity, count: rows)
                l.update(repeating: 0, count: rows)
                acc.update(repeating: 0, count: rows * n)
                for jb in 0...ib {
                    let j0 = jb * bs, cols = min(bs, t - j0)
                    Gemm.sgemm(transA: false, transB: true, m: rows, n: cols, k: n, alpha: scale, a: qb, lda: ldq,
                               b: k + kvo + j0 * ldk, ldb: ldk, c: p, ldc: bs)
                    for r in 0..<rows {
                        let row = p + r * bs
                        // On the diagonal block (j0 == i0) row i0 + r sees keys j0 ... i0 + r.
                        let valid = jb == ib ? r + 1 : cols
                        let mNew = Swift.max(m[r], VectorReduce.max(row, valid))
                        // exp(−∞) clamps to ~1e−38 in FastMath: harmless on the first block (l, acc are 0).
                        let correction = FastMath.exp(m[r] - mNew)
                        for j in 0..<valid { row[j] = FastMath.exp(row[j] - mNew) }
                        for j in valid..<cols { row[j] = 0 }
                        l[r] = l[r] * correction + VectorReduce.sum(row, valid)
                        m[r] = mNew
                        if correction != 1 {
                            let a = acc + r * n
                            for e in 0..<n { a[e] *= correction }
                        }
                    }
                    Gemm.sgemm(transA: false, transB: false, m: rows, n: n, k: cols, a: p, lda: bs,
                               b: v + kvo + j0 * ldk, ldb: ldk, beta: 1, c: acc, ldc: n)
                }
                for r in 0..<rows {
                    let inv = 1 / l[r], o = out + s.qOffset(b, h) + (i0 + r) * ldq, a = acc + r * n
                    for e in 0..<n { o[e] = a[e] * inv }
                    lse?[bh * t + i0 + r] = m[r] + Foundation.log(l[r])
                }
            }
        }
    }

    /// Backward from the forward's output and log-sum-exp; accumulates into dq, dk, dv (any may be nil).
    /// Per (query block i, key block j ≤ i): P = exp(scale·Q_i K_jᵀ − lse_i) (masked on the diagonal),
    /// dV_j += Pᵀ dO_i, dP = dO_i V_jᵀ, dS = P ⊙ (dP − D_i) with D = rowsum(dO ⊙ O),
    /// dQ_i += scale dS K_j, dK_j += scale dSᵀ Q_i.
    ///
    /// Work items are (batch, kv head, key block): each owns its rows of dK and dV, summed over the query
    /// heads of its group, so those need no synchronisation. dQ_i collects from every key block; each
    /// thread but the first accumulates it into a private zeroed copy, added to dq at the end.
    public static func causalBackward(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                                      out: UnsafePointer<Float>, lse: UnsafePointer<Float>, dOut: UnsafePointer<Float>,
                                      dq: UnsafeMutablePointer<Float>?, dk: UnsafeMutablePointer<Float>?,
                                      dv: UnsafeMutablePointer<Float>?, shape s: AttentionShape, scale: Float) {
        let t = s.t, n = s.n, bs = blockRows(n: n), nb = (t + bs - 1) / bs
        let ldq = s.heads * n, ldk = s.kvHeads * n, group = s.heads / s.kvHeads
        guard dq != nil || dk != nil || dv != nil, t > 0 else { return }

        // D [B, H, T] = rowsum(dO ⊙ O).
        let dStorage = TensorStorage(count: s.batch * s.heads * t)
        let dRow = dStorage.pointer
        Parallel.forRanges(s.batch * t, minPerThread: 64) { range in
            for bt in range {
                let b = bt / t, i = bt % t
                for h in 0..<s.heads {
                    dRow[(b * s.heads + h) * t + i] = VectorReduce.dot(out + bt * ldq + h * n, dOut + bt * ldq + h * n, n)
                }
            }
        }

        let tasks = s.batch * s.kvHeads * nb
        let parts = Swift.min(Parallel.threadCount, tasks), qCount = s.batch * t * ldq
        let dqCopies = dq != nil && parts > 1 ? TensorStorage(count: (parts - 1) * qCount) : nil
        defer { withExtendedLifetime((dStorage, dqCopies)) {} }
        Parallel.forEach(parts) { part in
            let dqPart = part == 0 ? dq : dqCopies.map { $0.pointer + (part - 1) * qCount }
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 2 * bs * bs)
            defer { scratch.deallocate() }
            let p = scratch, ds = scratch + bs * bs
            for task in (tasks * part / parts)..<(tasks * (part + 1) / parts) {
                let bk = task / nb, jb = zigzag(task % nb, nb), b = bk / s.kvHeads, kvh = bk % s.kvHeads
                let j0 = jb * bs, cols = min(bs, t - j0), kvo = b * t * ldk + kvh * n + j0 * ldk
                let kb = k + kvo, vb = v + kvo
                for h in (kvh * group)..<((kvh + 1) * group) {
                    let bh = b * s.heads + h
                    for ib in jb..<nb {
                        let i0 = ib * bs, rows = min(bs, t - i0), qo = s.qOffset(b, h) + i0 * ldq
                        let qb = q + qo, dob = dOut + qo
                        Gemm.sgemm(transA: false, transB: true, m: rows, n: cols, k: n, alpha: scale, a: qb, lda: ldq,
                                   b: kb, ldb: ldk, c: p, ldc: bs)
                        for r in 0..<rows {
                            let row = p + r * bs, lr = lse[bh * t + i0 + r]
                            let valid = ib == jb ? r + 1 : cols
                            for j in 0..<valid { row[j] = FastMath.exp(row[j] - lr) }
                            for j in valid..<cols { row[j] = 0 }
                        }
                        if let dv {
                            Gemm.sgemm(transA: true, transB: false, m: cols, n: n, k: rows, a: p, lda: bs,
                                       b: dob, ldb: ldq, beta: 1, c: dv + kvo, ldc: ldk)
                        }
                        guard dqPart != nil || dk != nil else { continue }
                        Gemm.sgemm(transA: false, transB: true, m: rows, n: cols, k: n, a: dob, lda: ldq,
                                   b: vb, ldb: ldk, c: ds, ldc: bs)
                        for r in 0..<rows {
                            let pr = p + r * bs, dr = ds + r * bs, d = dRow[bh * t + i0 + r]
                            for j in 0..<cols { dr[j] = pr[j] * (dr[j] - d) }
                        }
                        if let dqPart {
                            Gemm.sgemm(transA: false, transB: false, m: rows, n: n, k: cols, alpha: scale, a: ds, lda: bs,
                                       b: kb, ldb: ldk, beta: 1, c: dqPart + qo, ldc: ldq)
                        }
                        if let dk {
                            Gemm.sgemm(transA: true, transB: false, m: cols, n: n, k: rows, alpha: scale, a: ds, lda: bs,
                                       b: qb, ldb: ldq, beta: 1, c: dk + kvo, ldc: ldk)
                        }
                    }
                }
            }
        }
        if let dq, let dqCopies {
            let copies = dqCopies.pointer
            Parallel.forRanges(qCount, minPerThread: 1 << 14) { range in
                for c in 0..<(parts - 1) {
                    let src = copies + c * qCount
                    for i in range { dq[i] += src[i] }
                }
            }
        }
    }
}
