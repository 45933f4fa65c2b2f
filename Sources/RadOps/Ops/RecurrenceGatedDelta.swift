/// RAD-GDN time recurrence (gated delta rule) as a tape op; see `GatedDeltaRecurrence` for the math.
///
/// - Parameters: q, k, v [B, T, H, N] (RAD-GDN passes `l2Normalize`d q and k); `g` [B, T, H] the log
///   decay (≤ 0; the state is multiplied by e^g each token); `beta` [B, T, H] the write strength in
///   (0, 1); `scale` multiplies q (FLA's default is N^-0.5); `initialState` [B, H, N, N] indexed
///   [key][value] (FLA's h [K, V], as `glaRecurrence`), or nil for zeros.
/// - Returns: the output [B, T, H, N] and the final state [B, H, N, N] ([key][value]). Both are
///   differentiable; feeding `finalState` to the next call continues the sequence exactly.
/// When recording, the forward pass keeps one state per `chunk` tokens for the backward re-run.
public func gatedDeltaRecurrence(q: Tensor, k: Tensor, v: Tensor, logDecay g: Tensor, beta: Tensor, scale: Float,
                                 initialState: Tensor? = nil,
                                 chunk: Int = GatedDeltaRecurrence.defaultChunk) -> (output: Tensor, finalState: Tensor) {
    let shape = recurrenceShape("gatedDeltaRecurrence", ["q": q, "k": k, "v": v], initialState: initialState)
    let perHead = [shape.batch, shape.length, shape.heads]
    precondition(g.count == perHead.reduce(1, *) && g.shape.prefix(3).elementsEqual(perHead),
                 "gatedDeltaRecurrence: logDecay has shape \(g.shape), expected [B, T, H] = \(perHead)")
    precondition(beta.count == g.count && beta.shape.prefix(3).elementsEqual(perHead),
                 "gatedDeltaRecurrence: beta has shape \(beta.shape), expected [B, T, H] = \(perHead)")
    let out = Tensor(zeros: q.shape)
    let final = Tensor(zeros: [shape.batch, shape.heads, shape.headSize, shape.headSize])
    let inputs = [q, k, v, g, beta] + (initialState.map { [$0] } ?? [])
    let tape = Tape.active(forAny: inputs)
    let checkpoints = tape.map { _ in Tensor(zeros: [shape.checkpointElements(chunk: chunk)]) }
    GatedDeltaRecurrence.forward(q: q.data, k: k.data, v: v.data, logDecay: g.data, beta: beta.data, scale: scale,
                                 initialState: initialState.map { UnsafePointer($0.data) },
                                 output: out.data, finalState: final.data,
                                 checkpoints: checkpoints?.data, chunk: chunk, shape: shape)

    if let tape, let checkpoints {
        let finalGrad = FinalStateGradient()
        tape.record(out) { gr in
            func grad(_ t: Tensor) -> UnsafeMutablePointer<Float>? { t.requiresGrad ? t.ensureGrad().data : nil }
            GatedDeltaRecurrence.backward(q: q.data, k: k.data, v: v.data, logDecay: g.data, beta: beta.data,
                                          scale: scale, checkpoints: checkpoints.data, chunk: chunk,
                                          dOutput: gr.data, dFinalState: finalGrad.value.map { UnsafePointer($0.data) },
                                          dq: grad(q), dk: grad(k), dv: grad(v), dLogDecay: grad(g),
                                          dBeta: grad(beta), dInitialState: initialState.flatMap(grad), shape: shape)
        }
        finalGrad.attach(to: final, output: out, tape: tape)
    }
    return (out, final)
}

/// One RAD-GDN inference step: q, k, v hold one token per batch row ([B, H, N] or any shape of B·H·N
/// elements), g and beta one value per (row, head) (B·H elements); `state` [B, H, N, N] ([key][value])
/// is advanced in place. Returns the output (shape of q). Not recorded on a tape (generation only).
public func gatedDeltaStep(q: Tensor, k: Tensor, v: Tensor, logDecay g: Tensor, beta: Tensor, scale: Float,
                           state: Tensor) -> Tensor {
    let (b, h, n) = stepShape("gatedDeltaStep", ["q": q, "k": k, "v": v], state: state)
    precondition(g.count == b * h && beta.count == b * h,
                 "gatedDeltaStep: logDecay \(g.shape) and beta \(beta.shape) need B·H = \(b)·\(h) elements")
    let out = Tensor(zeros: q.shape)
    GatedDeltaRecurrence.step(q: q.data, k: k.data, v: v.data, logDecay: g.data, beta: beta.data, scale: scale,
                              state: state.data, output: out.data, batch: b, heads: h, headSize: n)
    return out
}
