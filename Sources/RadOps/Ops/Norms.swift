/// Normalisations over the last dimension. Inputs may have any leading shape [.., C]; the result has
/// the input's shape.

/// RMSNorm as HF Llama/Qwen2 (fp32 math): `x * rsqrt(mean(x², last dim) + eps) * weight`, weight [C].
public func rmsNorm(_ x: Tensor, weight: Tensor, eps: Float) -> Tensor {
    let c = x.lastDim, rows = x.rowCount
    precondition(weight.count == c, "rmsNorm: weight \(weight.shape)\(weight.name.map { " (\($0))" } ?? "") for rows of \(c)")
    let out = Tensor(zeros: x.shape), rstd = Tensor(zeros: [rows])
    NormKernels.rmsNorm(x: x.data, weight: weight.data, out: out.data, rstd: rstd.data, rows: rows, c: c, eps: eps)
    if let tape = Tape.active(for: x, weight) {
        tape.record(out) { g in
            NormKernels.rmsNormBackward(x: x.data, weight: weight.data, rstd: rstd.data, dy: g.data,
                                        dx: x.requiresGrad ? x.ensureGrad().data : nil,
                                        dWeight: weight.requiresGrad ? weight.ensureGrad().data : nil, rows: rows, c: c)
        }
    }
    return out
}

/// LayerNorm over the last dim (biased variance, as `nn.LayerNorm`), optional weight/bias [C].
public func layerNorm(_ x: Tensor, weight: Tensor?, bias: Tensor?, eps: Float) -> Tensor {
    normalizeGroups(x, groups: 1, weight: weight, bias: bias, eps: eps, op: "layerNorm")
}

/// GroupNorm per token: `x` [rows.., H*N] is normalised separately in each of the `groups` = H
/// consecutive channel groups of N (as `nn.GroupNorm(H, H*N)` applied to each token); then the
/// per-channel affine `weight`, `bias` [H*N]. (RWKV's `ln_x` uses eps = N·1e-5; pass it explicitly.)
public func groupNorm(_ x: Tensor, groups: Int, weight: Tensor?, bias: Tensor?, eps: Float) -> Tensor {
    normalizeGroups(x, groups: groups, weight: weight, bias: bias, eps: eps, op: "groupNorm")
}

func normalizeGroups(_ x: Tensor, groups: Int, weight: Tensor?, bias: Tensor?, eps: Float, op: String) -> Tensor {
    let c = x.lastDim, rows = x.rowCount
    precondition(groups > 0 && c % groups == 0, "\(op): \(c) channels do not split into \(groups) groups")
    for t in [weight, bias].compactMap({ $0 }) {
        precondition(t.count == c, "\(op): parameter \(t.shape)\(t.name.map { " (\($0))" } ?? "") for rows of \(c)")
    }
    let out = Tensor(zeros: x.shape), mean = Tensor(zeros: [rows * groups]), rstd = Tensor(zeros: [rows * groups])
    NormKernels.groupNorm(x: x.data, weight: weight?.data, bias: bias?.data, out: out.data, mean: mean.data,
                          rstd: rstd.data, rows: rows, c: c, groups: groups, eps: eps)
    let inputs = [x] + [weight, bias].compactMap { $0 }
    if let tape = Tape.active(forAny: inputs) {
        tape.record(out) { g in
            NormKernels.groupNormBackward(x: x.data, weight: weight?.data, mean: mean.data, rstd: rstd.data, dy: g.data,
                                          dx: x.requiresGrad ? x.ensureGrad().data : nil,
                                          dWeight: weight?.requiresGrad == true ? weight!.ensureGrad().data : nil,
                                          dBias: bias?.requiresGrad == true ? bias!.ensureGrad().data : nil,
                                          rows: rows, c: c, groups: groups)
        }
    }
    return out
}
