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
public enum GLARecurrence {
    /// Executed flops per head per token, counting a multiply-add as 2 (forward: decay multiply,
    /// outer-product add, read-out add per state element; backward: re-scan 5 + reverse scan 7).
    public static let forwardFlopsPerElement = 5
    public static let backwardFlopsPerElement = 12

    /// One token of one head: updates `state` in place and writes `out` (N values).
    @inline(__always)
    static func token(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                      logw: UnsafePointer<Float>, scale: Float, state: UnsafeMutablePointer<Float>,
                      out: UnsafeMutablePointer<Float>, n: Int) {
        out.update(repeating: 0, count: n)
        for i in 0..<n {
            let wi = exp(logw[i]), ki = k[i], qi = q[i] * scale
            let row = state + i * n
            for j in 0..<n {
                let s = row[j] * wi + ki * v[j]
                row[j] = s
                out[j] += qi * s
            }
        }
    }

    /// Forward over whole sequences. `finalState` [B, H, N, N] receives S_T (it may be the same
    /// memory as `initialState`, which then is advanced in place); `initialState` nil means zeros.
    public static func forward(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                               logw: UnsafePointer<Float>, scale: Float,
                               initialState: UnsafePointer<Float>?,
                               output: UnsafeMutablePointer<Float>, finalState: UnsafeMutablePointer<Float>,
                               shape: RecurrenceShape) {
        let n = shape.headSize, nn = n * n, heads = shape.heads
        Parallel.forEach(shape.batch * heads) { bh in
            let b = bh / heads, h = bh % heads
            let s = finalState + bh * nn
            if let s0 = initialState {
                if UnsafePointer(s) != s0 + bh * nn { s.update(from: s0 + bh * nn, count: nn) }
            } else {
                s.update(repeating: 0, count: nn)
            }
            for t in 0..<shape.length {
                let o = shape.offset(batch: b, token: t, head: h)
                token(q: q + o, k: k + o, v: v + o, logw: logw + o, scale: scale, state: s, out: output + o, n: n)
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
            token(q: q + o, k: k + o, v: v + o, logw: logw + o, scale: scale,
                  state: state + bh * n * n, out: output + o, n: n)
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
            // Scratch for this head: state, dS, q⊙dq per token, per-token dv, running ∂L/∂Λ sum.
            let floats = 2 * nn + len * n + n
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: floats)
            let running = UnsafeMutablePointer<Double>.allocate(capacity: n)
            defer { scratch.deallocate(); running.deallocate() }
            let s = scratch, ds = scratch + nn, qdq = scratch + 2 * nn, dvTok = qdq + len * n

            // Re-scan forward: S_t, dq_t = scale · Σ_j dO_t[j] S_t[i][j].
            if let s0 = initialState { s.update(from: s0 + bh * nn, count: nn) } else { s.update(repeating: 0, count: nn) }
            for t in 0..<len {
                let o = shape.offset(batch: b, token: t, head: h)
                let kt = k + o, vt = v + o, lw = logw + o, dot = dOutput + o, qt = q + o
                for i in 0..<n {
                    let wi = exp(lw[i]), ki = kt[i]
                    let row = s + i * n
                    var acc = Lanes()
                    var j = 0
                    while j + 8 <= n {
                        let sv = loadLanes(row + j) * wi + ki * loadLanes(vt + j)
                        storeLanes(sv, row + j)
                        acc.addProduct(sv, loadLanes(dot + j))
                        j += 8
                    }
                    var tail: Float = 0
                    while j < n {
                        let sv = row[j] * wi + ki * vt[j]
                        row[j] = sv
                        tail += sv * dot[j]
                        j += 1
                    }
                    let dqi = scale * (acc.sum() + tail)
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
                let qt = q + o, kt = k + o, vt = v + o, lw = logw + o, dot = dOutput + o
                dvTok.update(repeating: 0, count: n)
                for i in 0..<n {
                    let qi = qt[i] * scale, ki = kt[i], wi = exp(lw[i])
                    let row = ds + i * n
                    var acc = Lanes()
                    var j = 0
                    while j + 8 <= n {
                        let d = loadLanes(row + j) + qi * loadLanes(dot + j)
                        acc.addProduct(d, loadLanes(vt + j))
                        storeLanes(loadLanes(dvTok + j) + ki * d, dvTok + j)
                        storeLanes(d * wi, row + j)
                        j += 8
                    }
                    var tail: Float = 0
                    while j < n {
                        let d = row[j] + qi * dot[j]
                        tail += d * vt[j]
                        dvTok[j] += ki * d
                        row[j] = d * wi
                        j += 1
                    }
                    let dki = acc.sum() + tail
                    dk?[o + i] += dki
                    running[i] += Double(qdq[t * n + i]) - Double(ki) * Double(dki)
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
}
