/// The elementwise passes of `rwkv7ValueResidual` over rows of H heads × N values; the value input has
/// KVH heads (head h reads kv head h / groups). Rows split across threads and write only their own
/// outputs (the kv gradient of a row gathers its groups in order), so results do not depend on the
/// thread count.
public enum RWKV7ValueKernels {
    static let minRowsPerThread = 8

    /// out = v + (first − v) ⊙ σ(pre + v0), v repeated to H heads (the op-by-op chain's order).
    public static func forward(v: UnsafePointer<Float>, first: UnsafePointer<Float>, pre: UnsafePointer<Float>,
                               v0: UnsafePointer<Float>, rows: Int, heads: Int, kvHeads: Int, headDim n: Int,
                               out: UnsafeMutablePointer<Float>) {
        let d = heads * n, kvd = kvHeads * n, groups = heads / kvHeads
        Parallel.forRanges(rows, minPerThread: minRowsPerThread) { range in
            for row in range {
                for h in 0..<heads {
                    let o = row * d + h * n, vr = v + row * kvd + (h / groups) * n
                    for j in 0..<n {
                        let i = o + j, nu = FastMath.sigmoid(pre[i] + v0[h * n + j])
                        out[i] = vr[j] + (first[i] - vr[j]) * nu
                    }
                }
            }
        }
    }

    /// Backward for upstream g: gV += g ⊙ (1 − ν) (summed over each kv head's groups), gFirst += g ⊙ ν,
    /// dz = g ⊙ (first − v) ⊙ ν(1 − ν) written (the gradient of pre + v0).
    public static func backward(_ g: UnsafePointer<Float>, v: UnsafePointer<Float>, first: UnsafePointer<Float>,
                                pre: UnsafePointer<Float>, v0: UnsafePointer<Float>, rows: Int, heads: Int, kvHeads: Int,
                                headDim n: Int, gV: UnsafeMutablePointer<Float>?, gFirst: UnsafeMutablePointer<Float>?,
                                dz: UnsafeMutablePointer<Float>) {
        let d = heads * n, kvd = kvHeads * n, groups = heads / kvHeads
        Parallel.forRanges(rows, minPerThread: minRowsPerThread) { range in
            for row in range {
                for h in 0..<heads {
                    let o = row * d + h * n, vr = v + row * kvd + (h / groups) * n
                    let gvr = gV.map { $0 + row * kvd + (h / groups) * n }
                    for j in 0..<n {
                        let i = o + j, nu = FastMath.sigmoid(pre[i] + v0[h * n + j])
                        let gd = g[i] * nu   // gradient of (first − v)
                        gvr?[j] += g[i] - gd
                        gFirst?[i] += gd
                        dz[i] = g[i] * (first[i] - vr[j]) * (nu * (1 - nu))
                    }
                }
            }
        }
    }
}
