/// The second factor of a LoRA, `h · w` (h [rows, R], w [R, D]), taken into RAD-RWKV7's fused ops: the
/// op computes the [rows, D] product itself, so the product is never a tape tensor (a `matmul` output
/// would be kept alive by the op that reads it), and its backward turns the product's gradient dz into
/// h's and w's with two GEMMs (the chain's `matmul` backward).
public struct RWKV7LowRank {
    public let h: Tensor, w: Tensor
    public init(_ h: Tensor, _ w: Tensor) {
        precondition(h.rank >= 2 && w.rank == 2 && h.shape.last == w.shape[0], "RWKV7LowRank: h \(h.shape) · w \(w.shape)")
        self.h = h; self.w = w
    }
    var rows: Int { h.count / w.shape[0] }
    var rank: Int { w.shape[0] }
    var width: Int { w.shape[1] }
    var tensors: [Tensor] { [h, w] }

    /// h · w as a fresh [rows, D] tensor off the tape (the same GEMM call as `matmul`, so the same bits).
    func product() -> Tensor {
        let out = Tensor(zeros: [rows, width])
        Gemm.sgemmPacked(transA: false, transB: false, m: rows, n: width, k: rank, a: h.data, b: w.data, c: out.data)
        return out
    }

    /// dh += dz · wᵀ, dw += hᵀ · dz for the product's gradient dz [rows, D].
    func backward(_ dz: UnsafePointer<Float>) {
        if h.requiresGrad {
            Gemm.sgemmPacked(transA: false, transB: true, m: rows, n: rank, k: width, a: dz, b: w.data, beta: 1, c: h.ensureGrad().data)
        }
        if w.requiresGrad {
            Gemm.sgemmPacked(transA: true, transB: false, m: rank, n: width, k: rows, a: h.data, b: dz, beta: 1, c: w.ensureGrad().data)
        }
    }
}
