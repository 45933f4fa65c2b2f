/// RAD-RWKV7's decay, in-context learning rate and keys (spec §2.3) as one op with a hand-written backward:
///
///     logw = −e^{−1/2}·σ(h_w·w2 + w0)                (w = exp(logw) ∈ (0.545, 1))
///     a    = σ(h_a·a2 + a0)
///     k    = repeat_kv(k)                            (head h reads kv head h / groups)
///     κ    = normalize(k)        k' = k ⊙ (1 − w + a)              (state balancing)
///     κ    = normalize(k ⊙ k_k)  k' = k ⊙ (1 + (a − 1) ⊙ k_a)      (standard RWKV-7, `standard` given)
///     α    = −κ,  β = κ ⊙ a                          (the recurrence's low-rank inputs)
///
/// The op-by-op chain kept about sixteen [B, T, D] temporaries per layer on the tape (the LoRA products,
/// the repeated keys, σ, the exponentials, the lerp terms, κ, −κ ...); this keeps its four outputs, which
/// the recurrence holds anyway, one norm per head and its inputs, and recomputes h_a·a2, a, w and σ(dd)
/// in the backward (σ(dd) from logw).
/// `decay` (h_w = tanh(x·w1) [B·T, Rd], w2 [Rd, D]) and `iclr` (h_a = x·a1, a2) are the LoRAs' factors;
/// `w0`, `a0` [D]; `k` [B, T, KVH, N] with H = KVH·groups, H·N = D. Returns logw, k', α, β, each [B, T, H, N].
public func rwkv7Keys(decay: RWKV7LowRank, w0: Tensor, iclr: RWKV7LowRank, a0: Tensor, k: Tensor, groups: Int,
                      standard: (kK: Tensor, kA: Tensor)? = nil, eps: Float = 1e-12)
    -> (logw: Tensor, k: Tensor, alpha: Tensor, beta: Tensor) {
    precondition(k.rank == 4, "rwkv7Keys expects k [B, T, KVH, N], got \(k.shape)")
    let b = k.shape[0], t = k.shape[1], kvh = k.shape[2], n = k.shape[3], h = kvh * groups, d = h * n, rows = b * t
    let shape = RWKV7KeyKernels.Shape(rows: rows, heads: h, kvHeads: kvh, headDim: n)
    precondition(decay.rows == rows && decay.width == d && iclr.rows == rows && iclr.width == d && w0.count == d && a0.count == d,
                 "rwkv7Keys: decay \(decay.h.shape)·\(decay.w.shape), iclr \(iclr.h.shape)·\(iclr.w.shape), w0 \(w0.shape), "
                 + "a0 \(a0.shape) for k \(k.shape) × \(groups)")
    if let standard { precondition(standard.kK.count == d && standard.kA.count == d, "rwkv7Keys: k_k, k_a must have \(d) values") }
    let outShape = [b, t, h, n]
    let logw = Tensor(zeros: outShape), kOut = Tensor(zeros: outShape)
    let alpha = Tensor(zeros: outShape), beta = Tensor(zeros: outShape)
    let norms = Tensor(zeros: [rows * h])
    let st = standard.map { RWKV7KeyKernels.Standard(kK: $0.kK.data, kA: $0.kA.data) }
    let pre = decay.product(), aPre = iclr.product()   // off the tape: freed on return
    withExtendedLifetime((pre, aPre)) {
        RWKV7KeyKernels.forward(pre: pre.data, w0: w0.data, aPre: aPre.data, a0: a0.data, k: k.data,
                                standard: st, eps: eps, shape: shape,
                                logw: logw.data, kOut: kOut.data, alpha: alpha.data, beta: beta.data, norms: norms.data)
    }
    let inputs = decay.tensors + iclr.tensors + [w0, a0, k] + (standard.map { [$0.kK, $0.kA] } ?? [])
    guard let tape = Tape.active(forAny: inputs) else { return (logw, kOut, alpha, beta) }
    tape.record(outputs: [logw, kOut, alpha, beta]) { grads in
        let count = rows * d
        let dzW = Tensor(zeros: [count]), dzA = Tensor(zeros: [count])
        let dKK = standard?.kK.requiresGrad == true ? Tensor(zeros: [count]) : nil
        let dKA = standard?.kA.requiresGrad == true ? Tensor(zeros: [count]) : nil
        let aPre = iclr.product()
        RWKV7KeyKernels.backward(logw: logw.data, alpha: alpha.data, aPre: aPre.data, a0: a0.data, k: k.data,
                                 norms: norms.data, standard: st, eps: eps, shape: shape,
                                 gLogw: grads[0]?.data, gKOut: grads[1]?.data, gAlpha: grads[2]?.data, gBeta: grads[3]?.data,
                                 dzW: dzW.data, dzA: dzA.data, gK: k.requiresGrad ? k.ensureGrad().data : nil,
                                 dKK: dKK?.data, dKA: dKA?.data)
        withExtendedLifetime(aPre) {}
        decay.backward(dzW.data)
        iclr.backward(dzA.data)
        if w0.requiresGrad { RWKV7KeyKernels.columnSums(dzW.data, rows: rows, c: d, into: w0.ensureGrad().data) }
        if a0.requiresGrad { RWKV7KeyKernels.columnSums(dzA.data, rows: rows, c: d, into: a0.ensureGrad().data) }
        if let standard, let dKK { RWKV7KeyKernels.columnSums(dKK.data, rows: rows, c: d, into: standard.kK.ensureGrad().data) }
        if let standard, let dKA { RWKV7KeyKernels.columnSums(dKA.data, rows: rows, c: d, into: standard.kA.ensureGrad().data) }
    }
    return (logw, kOut, alpha, beta)
}
