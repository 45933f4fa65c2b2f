import Foundation

/// The RAD-RWKV7 time recurrence: diagonal-plus-low-rank (generalised delta rule) state update.
///
/// Per (batch, head), with the state S ∈ R^{N×N} indexed [value i][key j] (as the RWKV-7 CUDA kernel):
///
///     sa_i    = Σ_j S_{i,j} α_j                          (old state)
///     S_{i,j} ← S_{i,j} · w_j + v_i · k_j + sa_i · β_j     (w = exp(logw))
///     y_i     = Σ_j S_{i,j} r_j                          (new state; scale 1 inside the recurrence)
///
/// i.e. S_t = S_{t−1} (diag(w_t) + α_tᵀ β_t) + v_tᵀ k_t. RAD-RWKV7 passes α = −κ, β = κ ⊙ a.
/// Inputs r, logw, k, v, α, β are [B, T, H, N] (see `RecurrenceShape`).
///
/// Training kernel choice: a fused sequential scan, one (batch, head) per task, each row of S updated
/// and read out in one pass (sa_i only needs row i). The backward pass needs S_{t−1} at every step, and
/// the DPLR transition is not safely invertible, so the forward pass stores the state at the start of
/// every `chunk` tokens (`checkpoints`), and the backward pass, chunk by chunk from the end, re-runs the
/// chunk forward keeping its states (and computing dr_t = S_tᵀ dy_t on the way), then scans it in
/// reverse carrying dS.
public enum DPLRRecurrence {
    /// Default checkpoint interval (tokens). Measured fwd+bwd, B=4 T=512, 2 threads on a loaded machine:
    /// N = 64 (H = 9): chunk 16 / 32 / 64 = 185 / 167 / 164 ms; N = 128 (H = 28): 1895 / 1897 / 1980 ms.
    /// 32 keeps the re-run buffer (chunk·N² floats: 0.5 MB at N = 64, 2 MB at N = 128) near the L2/L3
    /// boundary and the checkpoints at 1/32 of all states.
    public static let defaultChunk = 32

    /// Executed flops per head per token per state element, multiply-add counted as 2 (forward:
    /// sa 2 + update 5 + read-out 2; backward: re-run 9 + reverse scan 17).
    public static let forwardFlopsPerElement = 9
    public static let backwardFlopsPerElement = 26

    /// One token of one head: advances `state` in place and writes `out`. `w` holds exp(logw).
    /// When `saOut` is given it receives sa (N values).
    @inline(__always)
    static func token(r: UnsafePointer<Float>, w: UnsafePointer<Float>, k: UnsafePointer<Float>,
                      v: UnsafePointer<Float>, alpha: UnsafePointer<Float>, beta: UnsafePointer<Float>,
                      state: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>?,
                      saOut: UnsafeMutablePointer<Float>?, n: Int) {
        for i in 0..<n {
            let row = state + i * n
            let sa = laneDot(row, alpha, n)
            saOut?[i] = sa
            let vi = v[i]
            var acc = Lanes()
            var j = 0
            while j + 8 <= n {
                var s = loadLanes(row + j) * loadLanes(w + j)
                s.addProduct(Lanes(repeating: vi), loadLanes(k + j))
                s.addProduct(Lanes(repeating: sa), loadLanes(beta + j))
                storeLanes(s, row + j)
                acc.addProduct(s, loadLanes(r + j))
                j += 8
            }
            var tail: Float = 0
            while j < n {
                let s = row[j] * w[j] + vi * k[j] + sa * beta[j]
                row[j] = s
                tail += s * r[j]
                j += 1
            }
            out?[i] = laneSum(acc) + tail
        }
    }

    /// Forward over whole sequences. `finalState` [B, H, N, N] receives S_T (it may be the same memory
    /// as `initialState`, advanced in place); `initialState` nil means zeros. When `checkpoints` is
    /// given ([B, H, checkpointCount, N, N]) it receives the state before tokens 0, chunk, 2·chunk, ...
    /// for `backward`.
    public static func forward(r: UnsafePointer<Float>, logw: UnsafePointer<Float>, k: UnsafePointer<Float>,
                               v: UnsafePointer<Float>, alpha: UnsafePointer<Float>, beta: UnsafePointer<Float>,
                               initialState: UnsafePointer<Float>?,
                               output: UnsafeMutablePointer<Float>, finalState: UnsafeMutablePointer<Float>,
                               checkpoints: UnsafeMutablePointer<Float>? = nil, chunk: Int = defaultChunk,
                               shape: RecurrenceShape) {
        precondition(chunk >= 1, "checkpoint chunk must be positive")
        let n = shape.headSize, nn = n * n, heads = shape.heads
        let chunks = shape.checkpointCount(chunk: chunk)
        Parallel.forEach(shape.batch * heads) { bh in
            let b = bh / heads, h = bh % heads
            let s = shape.startState(finalState, from: initialState, head: bh)
            let w = UnsafeMutablePointer<Float>.allocate(capacity: n)
            defer { w.deallocate() }
            for t in 0..<shape.length {
                if let cp = checkpoints, t % chunk == 0 {
                    (cp + (bh * chunks + t / chunk) * nn).update(from: s, count: nn)
                }
                let o = shape.offset(batch: b, token: t, head: h)
                decayExp(logw + o, into: w, n)
                token(r: r + o, w: w, k: k + o, v: v + o, alpha: alpha + o, beta: beta + o,
                      state: s, out: output + o, saOut: nil, n: n)
            }
        }
    }

    /// Inference: one token per batch row. Inputs and output are [B, H, N]; `state` [B, H, N, N] is
    /// advanced in place. Cost is independent of how many tokens the state has seen.
    public static func step(r: UnsafePointer<Float>, logw: UnsafePointer<Float>, k: UnsafePointer<Float>,
                            v: UnsafePointer<Float>, alpha: UnsafePointer<Float>, beta: UnsafePointer<Float>,
                            state: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>,
                            batch: Int, heads: Int, headSize n: Int) {
        Parallel.forEach(batch * heads) { bh in
            let o = bh * n
            withUnsafeTemporaryAllocation(of: Float.self, capacity: n) { wb in
                let w = wb.baseAddress!
                decayExp(logw + o, into: w, n)
                token(r: r + o, w: w, k: k + o, v: v + o, alpha: alpha + o, beta: beta + o,
                      state: state + bh * n * n, out: output + o, saOut: nil, n: n)
            }
        }
    }

    /// Backward: given dy [B, T, H, N], optionally dS_T, and the `checkpoints` written by `forward`
    /// with the same `chunk`, ADDS the gradients into the given buffers (nil: not needed).
    public static func backward(r: UnsafePointer<Float>, logw: UnsafePointer<Float>, k: UnsafePointer<Float>,
                                v: UnsafePointer<Float>, alpha: UnsafePointer<Float>, beta: UnsafePointer<Float>,
                                checkpoints: UnsafePointer<Float>, chunk: Int,
                                dOutput: UnsafePointer<Float>, dFinalState: UnsafePointer<Float>?,
                                dr: UnsafeMutablePointer<Float>?, dlogw: UnsafeMutablePointer<Float>?,
                                dk: UnsafeMutablePointer<Float>?, dv: UnsafeMutablePointer<Float>?,
                                dAlpha: UnsafeMutablePointer<Float>?, dBeta: UnsafeMutablePointer<Float>?,
                                dInitialState: UnsafeMutablePointer<Float>?, shape: RecurrenceShape) {
        let n = shape.headSize, nn = n * n, heads = shape.heads, len = shape.length
        let chunks = shape.checkpointCount(chunk: chunk)
        Parallel.forEach(shape.batch * heads) { bh in
            let b = bh / heads, h = bh % heads
            // Scratch: working state, dS, the chunk's old states S_{t−1}, its w and sa, then 6 vectors.
            let floats = 2 * nn + chunk * nn + 2 * chunk * n + 6 * n
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: floats)
            defer { scratch.deallocate() }
            let s = scratch, ds = s + nn, saved = ds + nn, wBuf = saved + chunk * nn, saBuf = wBuf + chunk * n
            let dkT = saBuf + chunk * n, dbT = dkT + n, dwT = dbT + n, daT = dwT + n, drT = daT + n, dvT = drT + n

            if let dST = dFinalState { ds.update(from: dST + bh * nn, count: nn) } else { ds.update(repeating: 0, count: nn) }

            for c in stride(from: chunks - 1, through: 0, by: -1) {
                let t0 = c * chunk, t1 = min(len, t0 + chunk)
                // Re-run the chunk, keeping S_{t−1}, w_t, sa_t; dr_t = S_tᵀ dy_t.
                s.update(from: checkpoints + (bh * chunks + c) * nn, count: nn)
                for t in t0..<t1 {
                    let tau = t - t0
                    let o = shape.offset(batch: b, token: t, head: h)
                    let w = wBuf + tau * n
                    decayExp(logw + o, into: w, n)
                    (saved + tau * nn).update(from: s, count: nn)
                    token(r: r + o, w: w, k: k + o, v: v + o, alpha: alpha + o, beta: beta + o,
                          state: s, out: nil, saOut: saBuf + tau * n, n: n)
                    if let dr {
                        drT.update(repeating: 0, count: n)
                        let dy = dOutput + o
                        for i in 0..<n {
                            let dyi = dy[i], row = s + i * n
                            for j in 0..<n { drT[j] += dyi * row[j] }
                        }
                        for j in 0..<n { dr[o + j] += drT[j] }
                    }
                }
                // Reverse scan over the chunk.
                for t in stride(from: t1 - 1, through: t0, by: -1) {
                    let tau = t - t0
                    let o = shape.offset(batch: b, token: t, head: h)
                    let rt = r + o, kt = k + o, vt = v + o, at = alpha + o, bt = beta + o, dy = dOutput + o
                    let w = wBuf + tau * n, sa = saBuf + tau * n, old = saved + tau * nn
                    dkT.update(repeating: 0, count: 4 * n)   // dkT, dbT, dwT, daT are contiguous
                    for i in 0..<n {
                        let row = ds + i * n, srow = old + i * n
                        let dyi = dy[i], vi = vt[i], sai = sa[i]
                        // dS_t (from the future and from y_t); dv_i, dsa_i; dk, dβ, dw accumulate.
                        var accV = Lanes(), accSa = Lanes()
                        var j = 0
                        while j + 8 <= n {
                            var d = loadLanes(row + j)
                            d.addProduct(Lanes(repeating: dyi), loadLanes(rt + j))
                            storeLanes(d, row + j)
                            accV.addProduct(d, loadLanes(kt + j))
                            accSa.addProduct(d, loadLanes(bt + j))
                            storeLanes(loadLanes(dkT + j) + vi * d, dkT + j)
                            storeLanes(loadLanes(dbT + j) + sai * d, dbT + j)
                            storeLanes(loadLanes(dwT + j) + d * loadLanes(srow + j), dwT + j)
                            j += 8
                        }
                        var tailV: Float = 0, tailSa: Float = 0
                        while j < n {
                            let d = row[j] + dyi * rt[j]
                            row[j] = d
                            tailV += d * kt[j]
                            tailSa += d * bt[j]
                            dkT[j] += vi * d
                            dbT[j] += sai * d
                            dwT[j] += d * srow[j]
                            j += 1
                        }
                        dvT[i] = laneSum(accV) + tailV
                        let dsa = laneSum(accSa) + tailSa
                        // dα_j += S_{i,j} dsa_i ; dS_{t−1} = dS_t diag(w) + dsa αᵀ.
                        for j in 0..<n {
                            daT[j] += srow[j] * dsa
                            row[j] = row[j] * w[j] + dsa * at[j]
                        }
                    }
                    if let dv { for i in 0..<n { dv[o + i] += dvT[i] } }
                    if let dk { for j in 0..<n { dk[o + j] += dkT[j] } }
                    if let dBeta { for j in 0..<n { dBeta[o + j] += dbT[j] } }
                    if let dAlpha { for j in 0..<n { dAlpha[o + j] += daT[j] } }
                    if let dlogw { for j in 0..<n { dlogw[o + j] += dwT[j] * w[j] } }
                }
            }
            if let dS0 = dInitialState {
                let dst = dS0 + bh * nn
                for e in 0..<nn { dst[e] += ds[e] }
            }
        }
    }
}
