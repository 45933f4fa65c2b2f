/// L2 normalisation over the last dimension as FLA's `l2norm` (the q/k normalisation of Gated DeltaNet,
/// `use_qk_l2norm_in_kernel`): `x · rsqrt(Σ x² + eps)`; FLA's default eps is 1e-6. For per-head
/// normalisation, pass x shaped [.., H, N]. See `L2NormKernels`.
public func l2Normalize(_ x: Tensor, eps: Float = 1e-6) -> Tensor {
    let c = x.lastDim, rows = x.rowCount
    let out = Tensor(zeros: x.shape), rstd = Tensor(zeros: [rows])
    L2NormKernels.forward(x: x.data, out: out.data, rstd: rstd.data, rows: rows, c: c, eps: eps)
    if let tape = Tape.active(for: x) {
        tape.record(out) { g in
            L2NormKernels.backward(x: x.data, rstd: rstd.data, dy: g.data, dx: x.ensureGrad().data, rows: rows, c: c)
        }
    }
    return out
}
