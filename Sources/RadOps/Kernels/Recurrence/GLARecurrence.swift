import Foundation

/// The RAD-RWKV6 time recurrence: gated linear attention (GLA) with a per-key-channel decay.
///
/// Per (batch, head), with the state S ∈ R^{N×N} indexed [key i][value j]:
///
///     S_t = diag(exp(logw_t)) · S_{t−1} + k_tᵀ v_t        (old state decayed, current token undecayed)
///     o_t = (q_t · scale) · S_t
///
/// Inputs q, k, v, logw are [B, T, H, N] (see `RecurrenceShape`); logw ≤ 0 is the log decay; k is
/// already balanced by the caller (k ⊙ (1 − w)).
///
/// Training kernel choice (measured, see `benchmarkRecurrences` and the numbers below): a fused
/// sequential scan over raw pointers, one (batch, head) per task. The backward pass needs no stored
/// states at all: a forward re-scan gives dq_t = scale · dO_t S_tᵀ, a reverse scan carries dS
/// (dS_{t−1} = diag(w_t) dS_t + q̃_{t−1}ᵀ dO_{t−1}) and gives dk, dv, and the decay gradient follows from
/// the cumulative-decay identity used by FLA's chunked GLA:
///
///     ∂L/∂Λ_t = q_t ⊙ dq_t − k_t ⊙ dk_t   (+ rowsum(S_T ⊙ dS_T) at t = T−1),   dlogw_t = Σ_{s≥t} ∂L/∂Λ_s
///
/// (Λ_t = Σ_{u≤t} logw_u; S_t = e^{Λ_t} S_0 + Σ_{s≤t} e^{Λ_t−Λ_s} k_sᵀ v_s.) The running sum is kept in
/// Double. This avoids both checkpoints and the e^{5L} overflow hazard of the factorised chunked form.
///
/// Measured (Zen 3, one thread, CPU time, 2026-11-22; flops as counted below): forward 37 GFLOP/s at
/// N = 64 and 49 at N = 128, backward 38 / 36 — i.e. within 2-2.5x of single-thread OpenBLAS sgemm
/// (93 GFLOP/s). The chunked GEMM form (option b) was therefore not built: at best it would halve a cost
/// that is already below the layer's projection GEMMs, and it adds the intra-chunk L×L work and the
/// e^{5L} range problem. What mattered was the loop shape: value columns in blocks of 32 with the
/// outputs in registers (N = 128 forward 167 -> 69 ms in one noisy wall-clock comparison), and no
/// horizontal SIMD reductions inside the loops (backward 6.1 -> 2.6 ms on B=1, T=512, H=4, N=64).
public enum GLARecurrence {
    /// Executed flops per head per token, counting a multiply-add as 2 (forward: decay multiply,
    /// outer-product add, read-out add per state element; backward: re-scan 5 + reverse scan 7).
    public static let forwardFlopsPerElement = 5
    public static let backwardFlopsPerElement = 12

    /// One token of one head: updates `state` in place and writes `out` (N values). `w` holds
    /// exp(logw). Columns (values) are processed 32 at a time with the outputs in registers, so each
    /// state element is loaded and stored once and `out` is written once per block.
    @inline(__always)
    static func token(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                      w: UnsafePointer<Float>, scale: Float, state: UnsafeMutablePointer<Float>,
                      out: UnsafeMutablePointer<Float>, n: Int) {
        var j0 = 0
        while j0 + 32 <= n {
            let v0 = loadLanes(v + j0), v1 = loadLanes(v + j0 + 8)
            let v2 = loadLanes(v + j0 + 16), v3 = loadLanes(v + j0 + 24)
            var o0 = Lanes(), o1 = Lanes(), o2 = Lanes(), o3 = Lanes()
            for i in 0..<n {
                let wi = Lanes(repeating: w[i]), ki = Lanes(repeating: k[i]), qi = Lanes(repeating: q[i] * scale)
                let p = state + i * n + j0
                var s0 = loadLanes(p) * wi, s1 = loadLanes(p + 8) * wi
                var s2 = loadLanes(p + 16) * wi, s3 = loadLanes(p + 24) * wi
                s0.addProduct(ki, v0); s1.addProduct(ki, v1); s2.addProduct(ki, v2); s3.addProduct(ki, v3)
                storeLanes(s0, p); storeLanes(s1, p + 8); storeLanes(s2, p + 16); storeLanes(s3, p + 24)
                o0.addProduct(qi, s0); o1.addProduct(qi, s1); o2.addProduct(qi, s2); o3.addProduct(qi, s3)
            }
            storeLanes(o0, out + j0); storeLanes(o1, out + j0 + 8)
            storeLanes(o2, out + j0 + 16); storeLanes(o3, out + j0 + 24)
            j0 += 32
        }
        while j0 + 8 <= n {
            let v0 = loadLanes(v + j0)
            var o0 = Lanes()
            for i in 0..<n {
                let p = state + i * n + j0
                var s0 = loadLanes(p) * w[i]
                s0.addProduct(Lanes(repeating: k[i]), v0)
                storeLanes(s0, p)
                o0.addProduct(Lanes(repeating: q[i] * scale), s0)
            }
            storeLanes(o0, out + j0)
            j0 += 8
        }
        if j0 < n {
            for j in j0..<n { out[j] = 0 }
            for i in 0..<n {
                let wi = w[i], ki = k[i], qi = q[i] * scale
                let row = state + i * n
                for j in j0..<n {
                    let s = row[j] * wi + ki * v[j]
                    row[j] = s
                    out[j] += qi * s
                }
            }
        }
    }

    /// exp(logw) for one token.
    @inline(__always)
    static func decays(_ logw: UnsafePointer<Float>, into w: UnsafeMutablePointer<Float>, n: Int) {
        decayExp(logw, into: w, n)
    }

    /// Forward over whole sequences. `finalState` [B, H, N, N] receives S_T (it may be the same
    /// memory as `initialState`, which then is advanced in place); `initialState` nil means zeros.
    public static func forward(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                               logw: UnsafePointer<Float>, scale: Float,
                               initialState: UnsafePointer<Float>?,
                               output: UnsafeMutablePointer<Float>, finalState: UnsafeMutablePointer<Float>,
                               shape: RecurrenceShape) {
        let n = shape.headSize, heads = shape.heads
        Parallel.forEach(shape.batch * heads) { bh in
            let b = bh / heads, h = bh % heads
            let s = shape.startState(finalState, from: initialState, head: bh)
            let w = UnsafeMutablePointer<Float>.allocate(capacity: n)
            defer { w.deallocate() }
            for t in 0..<shape.length {
                let o = shape.offset(batch: b, token: t, head: h)
                decays(logw + o, into: w, n: n)
                token(q: q + o, k: k + o, v: v + o, w: w, scale: scale, state: s, out: output + o, n: n)
            }
        }
    }

    /// Inference: one token per batch row. q, k, v, logw, output are [B, H, N]; `state` [B, H, N, N]
    /// is advanced in place. Cost is independent of how many tokens the state has seen.
    public static func step(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                            logw: UnsafePointer<Float>, scale: Float, state: UnsafeMutablePointer<Float>,
                            output: UnsafeMutablePointer<Float>, batch: Int, heads: Int, headSize n: Int) {
        Parallel.forEach(batch * heads) { bh in
            let o = bh * n
            withUnsafeTemporaryAllocation(of: Float.self, capacity: n) { wb in
                let w = wb.baseAddress!
                decays(logw + o, into: w, n: n)
                token(q: q + o, k: k + o, v: v + o, w: w, scale: scale, state: state + bh * n * n,
                      out: output + o, n: n)
            }
        }
    }

    /// Backward: given dO [B, T, H, N] and optionally dS_T [B, H, N, N], ADDS the gradients into
    /// dq, dk, dv, dlogw ([B, T, H, N]) and, when given, dInitialState [B, H, N, N].
    /// Any gradient pointer may be nil when that input needs no gradient (it is then not written);
    /// dk and dq are still computed internally because dlogw depends on them.
    public static func backward(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                                logw: UnsafePointer<Float>, scale: Float, initialState: UnsafePointer<Float>?,
                                dOutput: UnsafePointer<Float>, dFinalState: UnsafePointer<Float>?,
                                dq: UnsafeMutablePointer<Float>?, dk: UnsafeMutablePointer<Float>?,
                                dv: UnsafeMutablePointer<Float>?, dlogw: UnsafeMutablePointer<Float>?,
                                dInitialState: UnsafeMutablePointer<Float>?, shape: RecurrenceShape) {
        let n = shape.headSize, nn = n * n, heads = shape.heads, len = shape.length
        Parallel.forEach(shape.batch * heads) { bh in
            let b = bh / heads, h = bh % heads
            // Scratch for this head: state, dS, q⊙dq per token, per-token dv, decays per token, row sums.
            let floats = 2 * nn + 2 * len * n + 9 * n
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: floats)
            let running = UnsafeMutablePointer<Double>.allocate(capacity: n)
            defer { scratch.deallocate(); running.deallocate() }
            let s = scratch, ds = scratch + nn, qdq = scratch + 2 * nn, dvTok = qdq + len * n
            let wAll = dvTok + n, rowSum = wAll + len * n   // decays of every token, kept for the reverse scan

            // Re-scan forward: S_t, dq_t = scale · Σ_j dO_t[j] S_t[i][j].
            if let s0 = initialState { s.update(from: s0 + bh * nn, count: nn) } else { s.update(repeating: 0, count: nn) }
            for t in 0..<len {
                let o = shape.offset(batch: b, token: t, head: h)
                let w = wAll + t * n
                decays(logw + o, into: w, n: n)
                rowSum.update(repeating: 0, count: 8 * n)
                var j0 = 0
                while j0 + 32 <= n {
                    rescanBlock(j0, width: 32, k: k + o, v: v + o, w: w, dOut: dOutput + o, state: s, rowSum: rowSum, n: n)
                    j0 += 32
                }
                while j0 + 8 <= n {
                    rescanBlock(j0, width: 8, k: k + o, v: v + o, w: w, dOut: dOutput + o, state: s, rowSum: rowSum, n: n)
                    j0 += 8
                }
                while j0 < n {
                    rescanBlock(j0, width: 1, k: k + o, v: v + o, w: w, dOut: dOutput + o, state: s, rowSum: rowSum, n: n)
                    j0 += 1
                }
                let qt = q + o
                for i in 0..<n {
                    let dqi = scale * rowTotal(rowSum, i)
                    dq?[o + i] += dqi
                    qdq[t * n + i] = qt[i] * dqi
                }
            }

            // Reverse scan. s now holds S_T.
            if let dST = dFinalState {
                ds.update(from: dST + bh * nn, count: nn)
                for i in 0..<n { running[i] = Double(laneDot(s + i * n, ds + i * n, n)) }
            } else {
                ds.update(repeating: 0, count: nn)
                running.update(repeating: 0, count: n)
            }
            for t in stride(from: len - 1, through: 0, by: -1) {
                let o = shape.offset(batch: b, token: t, head: h)
                let w = wAll + t * n
                rowSum.update(repeating: 0, count: 8 * n)
                var j0 = 0
                while j0 + 32 <= n {
                    reverseBlock(j0, width: 32, q: q + o, scale: scale, k: k + o, v: v + o, w: w,
                                 dOut: dOutput + o, dState: ds, rowSum: rowSum, dvTok: dvTok, n: n)
                    j0 += 32
                }
                while j0 + 8 <= n {
                    reverseBlock(j0, width: 8, q: q + o, scale: scale, k: k + o, v: v + o, w: w,
                                 dOut: dOutput + o, dState: ds, rowSum: rowSum, dvTok: dvTok, n: n)
                    j0 += 8
                }
                while j0 < n {
                    reverseBlock(j0, width: 1, q: q + o, scale: scale, k: k + o, v: v + o, w: w,
                                 dOut: dOutput + o, dState: ds, rowSum: rowSum, dvTok: dvTok, n: n)
                    j0 += 1
                }
                let kt = k + o
                for i in 0..<n {
                    let dki = rowTotal(rowSum, i)
                    dk?[o + i] += dki
                    running[i] += Double(qdq[t * n + i]) - Double(kt[i]) * Double(dki)
                    dlogw?[o + i] += Float(running[i])
                }
                if let dv { for j in 0..<n { dv[o + j] += dvTok[j] } }
            }
            // ds now holds diag(w_0) dS_0 = ∂L/∂S_{-1}.
            if let dS0 = dInitialState {
                let dst = dS0 + bh * nn
                for e in 0..<nn { dst[e] += ds[e] }
            }
        }
    }

    // Backward blocks: value columns j0..<j0+width (32, 8 or 1) for all key rows, so the column vectors
    // stay in registers across the rows. Written out per width (generic SIMD code was not specialised).

    /// Σ of the eight partial sums of row i (kept as lanes so the block loops never reduce horizontally).
    @inline(__always)
    static func rowTotal(_ rowSum: UnsafeMutablePointer<Float>, _ i: Int) -> Float {
        let p = rowSum + 8 * i
        return ((p[0] + p[1]) + (p[2] + p[3])) + ((p[4] + p[5]) + (p[6] + p[7]))
    }

    /// Re-scan of one column block: advances S and adds Σ_j S_t[i][j] dO_t[j] into row i's partial
    /// sums (rowSum, eight lanes per row).
    @inline(__always)
    static func rescanBlock(_ j0: Int, width: Int, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                            w: UnsafePointer<Float>, dOut: UnsafePointer<Float>,
                            state: UnsafeMutablePointer<Float>, rowSum: UnsafeMutablePointer<Float>, n: Int) {
        switch width {
        case 32:
            let v0 = loadLanes(v + j0), v1 = loadLanes(v + j0 + 8), v2 = loadLanes(v + j0 + 16), v3 = loadLanes(v + j0 + 24)
            let d0 = loadLanes(dOut + j0), d1 = loadLanes(dOut + j0 + 8)
            let d2 = loadLanes(dOut + j0 + 16), d3 = loadLanes(dOut + j0 + 24)
            for i in 0..<n {
                let p = state + i * n + j0
                let wi = Lanes(repeating: w[i]), ki = Lanes(repeating: k[i])
                var s0 = loadLanes(p) * wi, s1 = loadLanes(p + 8) * wi
                var s2 = loadLanes(p + 16) * wi, s3 = loadLanes(p + 24) * wi
                s0.addProduct(ki, v0); s1.addProduct(ki, v1); s2.addProduct(ki, v2); s3.addProduct(ki, v3)
                storeLanes(s0, p); storeLanes(s1, p + 8); storeLanes(s2, p + 16); storeLanes(s3, p + 24)
                var acc = s0 * d0
                acc.addProduct(s1, d1); acc.addProduct(s2, d2); acc.addProduct(s3, d3)
                storeLanes(loadLanes(rowSum + 8 * i) + acc, rowSum + 8 * i)
            }
        case 8:
            let v0 = loadLanes(v + j0), d0 = loadLanes(dOut + j0)
            for i in 0..<n {
                let p = state + i * n + j0
                var s0 = loadLanes(p) * w[i]
                s0.addProduct(Lanes(repeating: k[i]), v0)
                storeLanes(s0, p)
                storeLanes(loadLanes(rowSum + 8 * i) + s0 * d0, rowSum + 8 * i)
            }
        default:
            let vj = v[j0], dj = dOut[j0]
            for i in 0..<n {
                let p = state + i * n + j0
                let sv = p[0] * w[i] + k[i] * vj
                p[0] = sv
                rowSum[8 * i] += sv * dj
            }
        }
    }

    /// Reverse step of one column block: dS_t = dS + q̃ᵀ dO (then decayed in place to ∂L/∂S_{t−1}),
    /// row i's partial sums += dS_t[i][j] v_j (total dk_i), dvTok[j] = Σ_i k_i dS_t[i][j].
    @inline(__always)
    static func reverseBlock(_ j0: Int, width: Int, q: UnsafePointer<Float>, scale: Float,
                             k: UnsafePointer<Float>, v: UnsafePointer<Float>, w: UnsafePointer<Float>,
                             dOut: UnsafePointer<Float>, dState: UnsafeMutablePointer<Float>,
                             rowSum: UnsafeMutablePointer<Float>, dvTok: UnsafeMutablePointer<Float>, n: Int) {
        switch width {
        case 32:
            let v0 = loadLanes(v + j0), v1 = loadLanes(v + j0 + 8), v2 = loadLanes(v + j0 + 16), v3 = loadLanes(v + j0 + 24)
            let d0 = loadLanes(dOut + j0), d1 = loadLanes(dOut + j0 + 8)
            let d2 = loadLanes(dOut + j0 + 16), d3 = loadLanes(dOut + j0 + 24)
            var g0 = Lanes(), g1 = Lanes(), g2 = Lanes(), g3 = Lanes()
            for i in 0..<n {
                let p = dState + i * n + j0
                let qi = Lanes(repeating: q[i] * scale), ki = Lanes(repeating: k[i]), wi = Lanes(repeating: w[i])
                var e0 = loadLanes(p), e1 = loadLanes(p + 8), e2 = loadLanes(p + 16), e3 = loadLanes(p + 24)
                e0.addProduct(qi, d0); e1.addProduct(qi, d1); e2.addProduct(qi, d2); e3.addProduct(qi, d3)
                var acc = e0 * v0
                acc.addProduct(e1, v1); acc.addProduct(e2, v2); acc.addProduct(e3, v3)
                storeLanes(loadLanes(rowSum + 8 * i) + acc, rowSum + 8 * i)
                g0.addProduct(ki, e0); g1.addProduct(ki, e1); g2.addProduct(ki, e2); g3.addProduct(ki, e3)
                storeLanes(e0 * wi, p); storeLanes(e1 * wi, p + 8); storeLanes(e2 * wi, p + 16); storeLanes(e3 * wi, p + 24)
            }
            storeLanes(g0, dvTok + j0); storeLanes(g1, dvTok + j0 + 8)
            storeLanes(g2, dvTok + j0 + 16); storeLanes(g3, dvTok + j0 + 24)
        case 8:
            let v0 = loadLanes(v + j0), d0 = loadLanes(dOut + j0)
            var g0 = Lanes()
            for i in 0..<n {
                let p = dState + i * n + j0
                var e0 = loadLanes(p)
                e0.addProduct(Lanes(repeating: q[i] * scale), d0)
                storeLanes(loadLanes(rowSum + 8 * i) + e0 * v0, rowSum + 8 * i)
                g0.addProduct(Lanes(repeating: k[i]), e0)
                storeLanes(e0 * w[i], p)
            }
            storeLanes(g0, dvTok + j0)
        default:
            let vj = v[j0], dj = dOut[j0]
            var dvj: Float = 0
            for i in 0..<n {
                let p = dState + i * n + j0
                let d = p[0] + q[i] * scale * dj
                rowSum[8 * i] += d * vj
                dvj += k[i] * d
                p[0] = d * w[i]
            }
            dvTok[j0] = dvj
        }
    }
}
