/// RAD-RWKV6 time recurrence (gated linear attention) as a tape op; see `GLARecurrence` for the math.
///
/// - Parameters: q, k, v, logw [B, T, H, N] (logw ≤ 0, per key channel); `scale` multiplies q
///   (RAD-RWKV6 uses N^-0.5); `initialState` [B, H, N, N] (indexed [key][value]) or nil for zeros.
/// - Returns: the output [B, T, H, N] and the final state [B, H, N, N]. Feeding `finalState` to the next
///   call as `initialState` continues the sequence exactly. Both results are differentiable: a gradient
///   reaching `finalState` flows back into the inputs and the initial state.
public func glaRecurrence(q: Tensor, k: Tensor, v: Tensor, logw: Tensor, scale: Float,
                          initialState: Tensor? = nil) -> (output: Tensor, finalState: Tensor) {
    let shape = recurrenceShape("glaRecurrence", ["q": q, "k": k, "v": v, "logw": logw], initialState: initialState)
    let out = Tensor(zeros: q.shape)
    let final = Tensor(zeros: [shape.batch, shape.heads, shape.headSize, shape.headSize])
    GLARecurrence.forward(q: q.data, k: k.data, v: v.data, logw: logw.data, scale: scale,
                          initialState: initialState.map { UnsafePointer($0.data) },
                          output: out.data, finalState: final.data, shape: shape)

    let inputs = [q, k, v, logw] + (initialState.map { [$0] } ?? [])
    if let tape = Tape.active(forAny: inputs) {
        let finalGrad = FinalStateGradient()
        tape.record(out) { g in
            func grad(_ t: Tensor) -> UnsafeMutablePointer<Float>? { t.requiresGrad ? t.ensureGrad().data : nil }
            GLARecurrence.backward(q: q.data, k: k.data, v: v.data, logw: logw.data, scale: scale,
                                   initialState: initialState.map { UnsafePointer($0.data) },
                                   dOutput: g.data, dFinalState: finalGrad.value.map { UnsafePointer($0.data) },
                                   dq: grad(q), dk: grad(k), dv: grad(v), dlogw: grad(logw),
                                   dInitialState: initialState.flatMap(grad), shape: shape)
        }
        finalGrad.attach(to: final, output: out, tape: tape)
    }
    return (out, final)
}

/// One RAD-RWKV6 inference step: q, k, v, logw hold one token per batch row ([B, H, N] or any shape of
/// B·H·N elements); `state` [B, H, N, N] is advanced in place. Returns the output (shape of q).
/// Not recorded on a tape (generation only).
public func rwkv6Step(q: Tensor, k: Tensor, v: Tensor, logw: Tensor, scale: Float, state: Tensor) -> Tensor {
    let (b, h, n) = stepShape("rwkv6Step", ["q": q, "k": k, "v": v, "logw": logw], state: state)
    let out = Tensor(zeros: q.shape)
    GLARecurrence.step(q: q.data, k: k.data, v: v.data, logw: logw.data, scale: scale, state: state.data,
                       output: out.data, batch: b, heads: h, headSize: n)
    return out
}

/// Carries the gradient of a recurrence's final state to the pullback of its output.
///
/// The tape runs pullbacks in reverse recording order and frees each output's gradient after use, so
/// the final state's own entry (recorded after the output's) runs first: it keeps the gradient and
/// makes sure the output's pullback runs even when only the final state was used downstream.
final class FinalStateGradient {
    var value: Tensor?

    func attach(to final: Tensor, output: Tensor, tape: Tape) {
        tape.record(final) { [self] g in
            value = g
            _ = output.ensureGrad()
        }
    }
}

/// Validates the [B, T, H, N] sequence inputs of a recurrence (and its optional initial state).
func recurrenceShape(_ op: String, _ inputs: KeyValuePairs<String, Tensor>, initialState: Tensor?) -> RecurrenceShape {
    let first = inputs.first!
    precondition(first.value.rank == 4, "\(op): \(first.key) must be [B, T, H, N], got \(first.value.shape)")
    for (name, t) in inputs {
        precondition(t.shape == first.value.shape,
                     "\(op): \(name) has shape \(t.shape), expected \(first.value.shape) like \(first.key)")
    }
    let s = first.value.shape
    let shape = RecurrenceShape(batch: s[0], length: s[1], heads: s[2], headSize: s[3])
    if let s0 = initialState {
        precondition(s0.shape == [s[0], s[2], s[3], s[3]],
                     "\(op): initialState has shape \(s0.shape), expected [B, H, N, N] = \([s[0], s[2], s[3], s[3]])")
    }
    return shape
}

/// Validates the inputs of an inference step against the state [B, H, N, N]; returns (B, H, N).
func stepShape(_ op: String, _ inputs: KeyValuePairs<String, Tensor>, state: Tensor) -> (Int, Int, Int) {
    precondition(state.rank == 4 && state.shape[2] == state.shape[3],
                 "\(op): state must be [B, H, N, N], got \(state.shape)")
    let (b, h, n) = (state.shape[0], state.shape[1], state.shape[2])
    for (name, t) in inputs {
        precondition(t.count == b * h * n, "\(op): \(name) has shape \(t.shape), expected B·H·N = \(b)·\(h)·\(n) elements")
    }
    return (b, h, n)
}
