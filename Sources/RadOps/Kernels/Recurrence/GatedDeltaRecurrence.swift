import Foundation

/// The RAD-GDN time recurrence: the gated delta rule (Yang, Kautz, Hatamizadeh, "Gated Delta Networks",
/// ICLR 2025), as FLA 0.6.0's `naive_recurrent_gated_delta_rule`.
///
/// Per (batch, head), with the state S ∈ R^{N×N} indexed [key i][value j] (FLA's h [K, V], as GLA),
/// a scalar log decay g_t and a scalar write strength β_t per head and token:
///
///     H   = e^{g_t} S_{t−1}                  (decay first)
///     u_j = Σ_i H_{i,j} k_i                   (what the state recalls for k: Hᵀk)
///     d_j = β_t (v_j − u_j)                   (the delta-rule correction v')
///     S_t = H + k dᵀ                          (S_t = e^{g}(I − β k kᵀ) S_{t−1} + β k vᵀ)
///     o_j = Σ_i (scale · q_i) S_t{i,j}        (read-out from the new state)
///
/// q, k, v are [B, T, H, N]; g and β are [B, T, H] (one value per head and token, so the scalar of the
/// token at sequence offset `o` is at `o / N`). RAD-GDN passes L2-normalised q and k (`l2Normalize`).
///
/// Each value column j of S evolves on its own (u_j, d_j and o_j only touch column j), so a token is two
/// passes down one block of eight columns with u, d and o in registers: the first pass gathers u, the
/// second updates and reads out.
///
/// Training: like DPLR, the transition (I − β k kᵀ) is not safely invertible (β → 1 with ‖k‖ = 1 makes it
/// singular), so the forward pass stores the state at the start of every `chunk` tokens and the backward
/// pass re-runs each chunk (keeping S_{t−1}, u_t, d_t and computing dq_t = scale · S_t dO_t on the way),
/// then scans it in reverse carrying dS:
///
///     dS_t += q̃ dOᵀ;   dd_j = Σ_i dS_{i,j} k_i;   dk_i = Σ_j dS_{i,j} d_j + Σ_j H_{i,j} du_j
///     dv = β dd;   du = −β dd;   dβ = Σ_j dd_j (v_j − u_j)
///     dH = dS_t + k duᵀ;   dg = Σ_{i,j} dH_{i,j} H_{i,j};   dS_{t−1} = e^{g} dH
///
/// Measured (2 threads on a machine shared with two builds, 2026-12-02, best of 3, chunk 32; GLA and DPLR
/// fwd+bwd from `benchmarkRecurrences` a few minutes before on the same loaded machine):
/// B=4 T=512 H=9 N=64: forward 22.7 ms, backward 77.7 ms (GLA fwd+bwd 67.6, DPLR 174.6);
/// B=1 T=512 H=28 N=128: forward 70.7 ms, backward 272 ms (GLA 135.8, DPLR 324.7).
/// Splitting the column sums into four accumulators (32 columns per block) and summing dg per row first
/// took N = 64 from 31 to 23 ms forward and from 110 to 78 ms backward.
public enum GatedDeltaRecurrence {
    /// Default checkpoint interval (tokens), as DPLR's: the re-run buffer is chunk·N² floats.
    public static let defaultChunk = 32

    /// Executed flops per head per token per state element, multiply-add counted as 2 (forward: u 2 +
    /// update 3 + read-out 2; backward: re-run 7 + dq 2 + reverse scan 13).
    public static let forwardFlopsPerElement = 7
    public static let backwardFlopsPerElement = 22

    /// One token of one head: advances `state` in place; writes `out` when given, and u and d (N values
    /// each) into `uOut`, `dOut` when given. `a` = e^{g}, `qScale` = scale (q is scaled on the fly).
    /// Columns go 32 at a time where they can (four independent accumulators per sum: one eight-lane
    /// chain down the rows is bound by the FMA latency), then 8, then one.
    @inline(__always)
    static func token(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                      a: Float, beta: Float, qScale: Float, state: UnsafeMutablePointer<Float>,
                      out: UnsafeMutablePointer<Float>?, uOut: UnsafeMutablePointer<Float>?,
                      dOut: UnsafeMutablePointer<Float>?, n: Int) {
        var j = 0
        while j + 32 <= n {
            var u0 = Lanes(), u1 = Lanes(), u2 = Lanes(), u3 = Lanes()
            for i in 0..<n {
                let ki = Lanes(repeating: k[i]), p = state + i * n + j
                u0.addProduct(ki, loadLanes(p)); u1.addProduct(ki, loadLanes(p + 8))
                u2.addProduct(ki, loadLanes(p + 16)); u3.addProduct(ki, loadLanes(p + 24))
            }
            u0 *= a; u1 *= a; u2 *= a; u3 *= a
            let d0 = beta * (loadLanes(v + j) - u0), d1 = beta * (loadLanes(v + j + 8) - u1)
            let d2 = beta * (loadLanes(v + j + 16) - u2), d3 = beta * (loadLanes(v + j + 24) - u3)
            var o0 = Lanes(), o1 = Lanes(), o2 = Lanes(), o3 = Lanes()
            for i in 0..<n {
                let ki = Lanes(repeating: k[i]), qi = Lanes(repeating: q[i] * qScale), p = state + i * n + j
                var s0 = loadLanes(p) * a, s1 = loadLanes(p + 8) * a
                var s2 = loadLanes(p + 16) * a, s3 = loadLanes(p + 24) * a
                s0.addProduct(ki, d0); s1.addProduct(ki, d1); s2.addProduct(ki, d2); s3.addProduct(ki, d3)
                storeLanes(s0, p); storeLanes(s1, p + 8); storeLanes(s2, p + 16); storeLanes(s3, p + 24)
                o0.addProduct(qi, s0); o1.addProduct(qi, s1); o2.addProduct(qi, s2); o3.addProduct(qi, s3)
            }
            if let out { storeLanes(o0, out + j); storeLanes(o1, out + j + 8); storeLanes(o2, out + j + 16); storeLanes(o3, out + j + 24) }
            if let uOut { storeLanes(u0, uOut + j); storeLanes(u1, uOut + j + 8); storeLanes(u2, uOut + j + 16); storeLanes(u3, uOut + j + 24) }
            if let dOut { storeLanes(d0, dOut + j); storeLanes(d1, dOut + j + 8); storeLanes(d2, dOut + j + 16); storeLanes(d3, dOut + j + 24) }
            j += 32
        }
        while j + 8 <= n {
            var u = Lanes()
            for i in 0..<n { u.addProduct(Lanes(repeating: k[i]), loadLanes(state + i * n + j)) }
            u *= a
            let d = beta * (loadLanes(v + j) - u)
            var o = Lanes()
            for i in 0..<n {
                let p = state + i * n + j
                var s = loadLanes(p) * a
                s.addProduct(Lanes(repeating: k[i]), d)
                storeLanes(s, p)
                o.addProduct(Lanes(repeating: q[i] * qScale), s)
            }
            if let out { storeLanes(o, out + j) }
            if let uOut { storeLanes(u, uOut + j) }
            if let dOut { storeLanes(d, dOut + j) }
            j += 8
        }
        while j < n {
            var u: Float = 0
            for i in 0..<n { u += k[i] * state[i * n + j] }
            u *= a
            let d = beta * (v[j] - u)
            var o: Float = 0
            for i in 0..<n {
                let s = state[i * n + j] * a + k[i] * d
                state[i * n + j] = s
                o += q[i] * qScale * s
            }
            out?[j] = o
            uOut?[j] = u
            dOut?[j] = d
            j += 1
        }
    }

    /// Forward over whole sequences. `finalState` [B, H, N, N] receives S_T (it may be the same memory
    /// as `initialState`, advanced in place); `initialState` nil means zeros. When `checkpoints` is
    /// given ([B, H, checkpointCount, N, N]) it receives the state before tokens 0, chunk, 2·chunk, ...
    /// for `backward`.
    public static func forward(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                               logDecay g: UnsafePointer<Float>, beta: UnsafePointer<Float>, scale: Float,
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
            for t in 0..<shape.length {
                if let cp = checkpoints, t % chunk == 0 {
                    (cp + (bh * chunks + t / chunk) * nn).update(from: s, count: nn)
                }
                let o = shape.offset(batch: b, token: t, head: h), gi = o / n
                token(q: q + o, k: k + o, v: v + o, a: Foundation.exp(g[gi]), beta: beta[gi], qScale: scale,
                      state: s, out: output + o, uOut: nil, dOut: nil, n: n)
            }
        }
    }

    /// Inference: one token per batch row. q, k, v, output are [B, H, N]; g and beta are [B, H];
    /// `state` [B, H, N, N] is advanced in place. Cost is independent of how many tokens the state has seen.
    public static func step(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                            logDecay g: UnsafePointer<Float>, beta: UnsafePointer<Float>, scale: Float,
                            state: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>,
                            batch: Int, heads: Int, headSize n: Int) {
        Parallel.forEach(batch * heads) { bh in
            let o = bh * n
            token(q: q + o, k: k + o, v: v + o, a: Foundation.exp(g[bh]), beta: beta[bh], qScale: scale,
                  state: state + bh * n * n, out: output + o, uOut: nil, dOut: nil, n: n)
        }
    }

    /// Backward: given dO [B, T, H, N], optionally dS_T, and the `checkpoints` written by `forward` with
    /// the same `chunk`, ADDS the gradients into the given buffers (nil: not needed): dq, dk, dv
    /// [B, T, H, N], dg, dBeta [B, T, H], dInitialState [B, H, N, N].
    public static func backward(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                                logDecay g: UnsafePointer<Float>, beta: UnsafePointer<Float>, scale: Float,
                                checkpoints: UnsafePointer<Float>, chunk: Int,
                                dOutput: UnsafePointer<Float>, dFinalState: UnsafePointer<Float>?,
                                dq: UnsafeMutablePointer<Float>?, dk: UnsafeMutablePointer<Float>?,
                                dv: UnsafeMutablePointer<Float>?, dLogDecay: UnsafeMutablePointer<Float>?,
                                dBeta: UnsafeMutablePointer<Float>?, dInitialState: UnsafeMutablePointer<Float>?,
                                shape: RecurrenceShape) {
        let n = shape.headSize, nn = n * n, heads = shape.heads, len = shape.length
        let chunks = shape.checkpointCount(chunk: chunk)
        Parallel.forEach(shape.batch * heads) { bh in
            let b = bh / heads, h = bh % heads
            // Scratch: working state, dS, the chunk's old states S_{t−1} and its u, d; then dd, du, and
            // eight partial sums per key row for dk.
            let floats = 2 * nn + chunk * nn + 2 * chunk * n + 2 * n + 8 * n
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: floats)
            defer { scratch.deallocate() }
            let s = scratch, ds = s + nn, saved = ds + nn, uBuf = saved + chunk * nn, dBuf = uBuf + chunk * n
            let dd = dBuf + chunk * n, du = dd + n, rowSum = du + n

            if let dST = dFinalState { ds.update(from: dST + bh * nn, count: nn) } else { ds.update(repeating: 0, count: nn) }

            for c in stride(from: chunks - 1, through: 0, by: -1) {
                let t0 = c * chunk, t1 = min(len, t0 + chunk)
                // Re-run the chunk, keeping S_{t−1}, u_t, d_t; dq_t = scale · S_t dO_t.
                s.update(from: checkpoints + (bh * chunks + c) * nn, count: nn)
                for t in t0..<t1 {
                    let tau = t - t0
                    let o = shape.offset(batch: b, token: t, head: h), gi = o / n
                    (saved + tau * nn).update(from: s, count: nn)
                    token(q: q + o, k: k + o, v: v + o, a: Foundation.exp(g[gi]), beta: beta[gi], qScale: scale,
                          state: s, out: nil, uOut: uBuf + tau * n, dOut: dBuf + tau * n, n: n)
                    if let dq {
                        for i in 0..<n { dq[o + i] += scale * laneDot(s + i * n, dOutput + o, n) }
                    }
                }
                // Reverse scan over the chunk.
                for t in stride(from: t1 - 1, through: t0, by: -1) {
                    let tau = t - t0
                    let o = shape.offset(batch: b, token: t, head: h), gi = o / n
                    let a = Foundation.exp(g[gi]), bt = beta[gi]
                    let qt = q + o, kt = k + o, vt = v + o, dy = dOutput + o
                    let old = saved + tau * nn, u = uBuf + tau * n, d = dBuf + tau * n
                    // dS_t += q̃ dOᵀ; dd = dS_tᵀ k; dk partials = dS_t d (each row's lanes written first here).
                    dd.update(repeating: 0, count: n)
                    for i in 0..<n {
                        let row = ds + i * n, qi = qt[i] * scale, ki = kt[i]
                        var part = Lanes()
                        var j = 0
                        while j + 8 <= n {
                            var e = loadLanes(row + j)
                            e.addProduct(Lanes(repeating: qi), loadLanes(dy + j))
                            storeLanes(e, row + j)
                            storeLanes(loadLanes(dd + j) + ki * e, dd + j)
                            part.addProduct(e, loadLanes(d + j))
                            j += 8
                        }
                        storeLanes(part, rowSum + 8 * i)
                        while j < n {
                            let e = row[j] + qi * dy[j]
                            row[j] = e
                            dd[j] += ki * e
                            rowSum[8 * i] += e * d[j]
                            j += 1
                        }
                    }
                    // d = β (v − u).
                    var dbt: Float = 0
                    for j in 0..<n {
                        dv?[o + j] += bt * dd[j]
                        du[j] = -bt * dd[j]
                        dbt += dd[j] * (vt[j] - u[j])
                    }
                    dBeta?[gi] += dbt
                    // u = Hᵀk with H = a S_{t−1}: dH = dS_t + k duᵀ; dk partials += H du; dg = Σ dH ⊙ H;
                    // dS_{t−1} = a dH. (dg is summed per row first: one accumulator over all N² elements
                    // would be a single FMA-latency-bound chain.)
                    var dgAcc = Lanes()
                    var dgTail: Float = 0
                    for i in 0..<n {
                        let row = ds + i * n, srow = old + i * n, ki = kt[i]
                        var part = loadLanes(rowSum + 8 * i), dgRow = Lanes()
                        var j = 0
                        while j + 8 <= n {
                            let hv = loadLanes(srow + j) * a, duv = loadLanes(du + j)
                            var e = loadLanes(row + j)
                            e.addProduct(Lanes(repeating: ki), duv)
                            part.addProduct(hv, duv)
                            dgRow.addProduct(e, hv)
                            storeLanes(e * a, row + j)
                            j += 8
                        }
                        storeLanes(part, rowSum + 8 * i)
                        dgAcc += dgRow
                        while j < n {
                            let hv = srow[j] * a
                            let e = row[j] + ki * du[j]
                            rowSum[8 * i] += hv * du[j]
                            dgTail += e * hv
                            row[j] = e * a
                            j += 1
                        }
                    }
                    dLogDecay?[gi] += laneSum(dgAcc) + dgTail
                    if let dk { for i in 0..<n { dk[o + i] += laneSum(loadLanes(rowSum + 8 * i)) } }
                }
            }
            if let dS0 = dInitialState {
                let dst = dS0 + bh * nn
                for e in 0..<nn { dst[e] += ds[e] }
            }
        }
    }
}
