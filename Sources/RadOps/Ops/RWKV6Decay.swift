/// RAD-RWKV6's per-channel log decay and its state balancing (spec §2.2) as one op:
///
///     logw = max(−exp(pre + bias), lower)            (lower = −5, the paper's clamp)
///     k'   = k ⊙ (1 − exp(logw))                     (only with `balance`; else k is returned as is)
///
/// The chain of separate ops kept six [B, T, D] temporaries per layer on the tape; this keeps its two
/// outputs (the recurrence's inputs) and recomputes the rest. `pre` [B, T, D] (the decay LoRA's output),
/// `bias` [D] (`time_decay`), `k` [B, T, H, N] with H·N = D. Returns logw shaped as k, and k'.
public func rwkv6Decay(pre: Tensor, bias: Tensor, k: Tensor, balance: Bool, lower: Float = -5) -> (logw: Tensor, k: Tensor) {
    let d = bias.count, count = k.count
    precondition(pre.count == count && count % d == 0, "rwkv6Decay: pre \(pre.shape), bias \(bias.shape), k \(k.shape)")
    let logw = Tensor(zeros: k.shape)
    let kOut = balance ? Tensor(zeros: k.shape) : nil
    DecayKernels.forward(pre: pre.data, bias: bias.data, d: d, count: count, lower: lower, logw: logw.data, k: k.data, kOut: kOut?.data)
    let outputs = [logw] + (kOut.map { [$0] } ?? [])
    if let tape = Tape.active(forAny: [pre, bias] + (balance ? [k] : [])) {
        tape.record(outputs: outputs) { grads in
            let dz = Tensor(zeros: [count])
            DecayKernels.backward(logw: logw.data, k: k.data, gLogw: grads[0]?.data, gK: grads.count > 1 ? grads[1]?.data : nil,
                                  count: count, lower: lower, dz: dz.data, gPre: pre.requiresGrad ? pre.ensureGrad().data : nil,
                                  gKIn: k.requiresGrad ? k.ensureGrad().data : nil)
            if bias.requiresGrad { TokenShiftKernels.columnSums(dz.data, rows: count / d, c: d, into: bias.ensureGrad().data) }
        }
    }
    return (logw, kOut ?? k)
}
