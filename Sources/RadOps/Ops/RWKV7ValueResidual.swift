/// RAD-RWKV7's value residual (spec §2.3) as one op with a hand-written backward:
///
///     v' = v + (v_first − v) ⊙ σ(h·v2 + v0)          (v repeated from KVH to H heads first; h = x·v1)
///
/// The op-by-op chain kept the LoRA product, the repeated values, the biased pre-activation, ν, the
/// difference and the product on the tape (six [B, T, D] temporaries per layer); this keeps only its
/// inputs and recomputes h·v2 and ν in the backward.
/// `v` [B, T, KVH, N], `first` [B, T, D] (layer 0's repeated values), `lora` (h [B·T, Rv], v2 [Rv, D]),
/// `v0` [D]. Returns v' [B, T, D].
public func rwkv7ValueResidual(v: Tensor, groups: Int, first: Tensor, lora: RWKV7LowRank, v0: Tensor) -> Tensor {
    precondition(v.rank == 4, "rwkv7ValueResidual expects v [B, T, KVH, N], got \(v.shape)")
    let b = v.shape[0], t = v.shape[1], kvh = v.shape[2], n = v.shape[3], h = kvh * groups, d = h * n, rows = b * t
    precondition(first.count == rows * d && lora.rows == rows && lora.width == d && v0.count == d,
                 "rwkv7ValueResidual: first \(first.shape), lora \(lora.h.shape)·\(lora.w.shape), v0 \(v0.shape) "
                 + "for v \(v.shape) × \(groups)")
    let out = Tensor(zeros: [b, t, d])
    let pre = lora.product()   // off the tape: freed on return
    withExtendedLifetime(pre) {
        RWKV7ValueKernels.forward(v: v.data, first: first.data, pre: pre.data, v0: v0.data, rows: rows, heads: h,
                                  kvHeads: kvh, headDim: n, out: out.data)
    }
    guard let tape = Tape.active(forAny: [v, first, v0] + lora.tensors) else { return out }
    tape.record(out) { g in
        let dz = Tensor(zeros: [rows * d])
        let pre = lora.product()
        withExtendedLifetime(pre) {
            RWKV7ValueKernels.backward(g.data, v: v.data, first: first.data, pre: pre.data, v0: v0.data, rows: rows,
                                       heads: h, kvHeads: kvh, headDim: n, gV: v.requiresGrad ? v.ensureGrad().data : nil,
                                       gFirst: first.requiresGrad ? first.ensureGrad().data : nil, dz: dz.data)
        }
        lora.backward(dz.data)
        if v0.requiresGrad { RWKV7KeyKernels.columnSums(dz.data, rows: rows, c: d, into: v0.ensureGrad().data) }
    }
    return out
}
