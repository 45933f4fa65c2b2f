/// RAD-RWKV7 time recurrence (diagonal plus low rank) as a tape op; see `DPLRRecurrence` for the math.
///
/// - Parameters: r, logw, k, v, alpha, beta [B, T, H, N] (w = exp(logw) ∈ (0, 1); RAD-RWKV7 passes
///   α = −κ, β = κ ⊙ a); `initialState` [B, H, N, N] indexed [value][key], or nil for zeros.
/// - Returns: y [B, T, H, N] (scale 1; the caller applies N^-0.5 or GroupNorm) and the final state.
///   Both are differentiable; feeding `finalState` to the next call continues the sequence exactly.
/// When recording, the forward pass keeps one state per `chunk` tokens for the backward re-run.
public func dplrRecurrence(r: Tensor, logw: Tensor, k: Tensor, v: Tensor, alpha: Tensor, beta: Tensor,
                           initialState: Tensor? = nil,
                           chunk: Int = DPLRRecurrence.defaultChunk) -> (output: Tensor, finalState: Tensor) {
    let shape = recurrenceShape("dplrRecurrence", ["r": r, "logw": logw, "k": k, "v": v, "alpha": alpha, "beta": beta],
                                initialState: initialState)
    let out = Tensor(zeros: r.shape)
    let final = Tensor(zeros: [shape.batch, shape.heads, shape.headSize, shape.headSize])
    let inputs = [r, logw, k, v, alpha, beta] + (initialState.map { [$0] } ?? [])
    let tape = Tape.active(forAny: inputs)
    let checkpoints = tape.map { _ in Tensor(zeros: [shape.checkpointElements(chunk: chunk)]) }
    DPLRRecurrence.forward(r: r.data, logw: logw.data, k: k.data, v: v.data, alpha: alpha.data, beta: beta.data,
                           initialState: initialState.map { UnsafePointer($0.data) },
                           output: out.data, finalState: final.data,
                           checkpoints: checkpoints?.data, chunk: chunk, shape: shape)

    if let tape, let checkpoints {
        let finalGrad = FinalStateGradient()
        tape.record(out) { g in
            func grad(_ t: Tensor) -> UnsafeMutablePointer<Float>? { t.requiresGrad ? t.ensureGrad().data : nil }
            DPLRRecurrence.backward(r: r.data, logw: logw.data, k: k.data, v: v.data, alpha: alpha.data, beta: beta.data,
                                    checkpoints: checkpoints.data, chunk: chunk,
                                    dOutput: g.data, dFinalState: finalGrad.value.map { UnsafePointer($0.data) },
                                    dr: grad(r), dlogw: grad(logw), dk: grad(k), dv: grad(v),
                                    dAlpha: grad(alpha), dBeta: grad(beta),
                                    dInitialState: initialState.flatMap(grad), shape: shape)
        }
        finalGrad.attach(to: final, output: out, tape: tape)
    }
    return (out, final)
}

/// One RAD-RWKV7 inference step: inputs hold one token per batch row ([B, H, N] or any shape of B·H·N
/// elements); `state` [B, H, N, N] is advanced in place. Returns y (shape of r). Not recorded on a tape.
public func rwkv7Step(r: Tensor, logw: Tensor, k: Tensor, v: Tensor, alpha: Tensor, beta: Tensor,
                      state: Tensor) -> Tensor {
    let (b, h, n) = stepShape("rwkv7Step", ["r": r, "logw": logw, "k": k, "v": v, "alpha": alpha, "beta": beta],
                              state: state)
    let out = Tensor(zeros: r.shape)
    DPLRRecurrence.step(r: r.data, logw: logw.data, k: k.data, v: v.data, alpha: alpha.data, beta: beta.data,
                        state: state.data, output: out.data, batch: b, heads: h, headSize: n)
    return out
}
