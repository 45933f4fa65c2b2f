/// RWKV-6's decay and state balancing, elementwise over [N, D] (`rwkv6Decay`). The exponentials are
/// `FastMath.exp`, as the `exp` op's, so the fused op equals the op-by-op chain bit for bit.
public enum DecayKernels {
    static let minPerThread = 1 << 14

    /// logw = max(−exp(pre + bias), lower); kOut = k ⊙ (1 − exp(logw)) when `kOut` is given.
    public static func forward(pre: UnsafePointer<Float>, bias: UnsafePointer<Float>, d: Int, count: Int, lower: Float,
                               logw: UnsafeMutablePointer<Float>, k: UnsafePointer<Float>, kOut: UnsafeMutablePointer<Float>?) {
        Parallel.forRanges(count, minPerThread: minPerThread) { r in
            for i in r {
                let l = max(-FastMath.exp(pre[i] + bias[i % d]), lower)
                logw[i] = l
                if let kOut { kOut[i] = k[i] * (1 + -FastMath.exp(l)) }
            }
        }
    }

    /// Gradients from gLogw (of logw) and gK (of kOut): gPre += dz (dz = g_total · logw where unclamped,
    /// g_total = gLogw − gK ⊙ k ⊙ exp(logw)), gKIn += gK ⊙ (1 − exp(logw)); `dz` [count] receives dz for
    /// the bias's column sums.
    public static func backward(logw: UnsafePointer<Float>, k: UnsafePointer<Float>, gLogw: UnsafePointer<Float>?,
                                gK: UnsafePointer<Float>?, count: Int, lower: Float, dz: UnsafeMutablePointer<Float>,
                                gPre: UnsafeMutablePointer<Float>?, gKIn: UnsafeMutablePointer<Float>?) {
        Parallel.forRanges(count, minPerThread: minPerThread) { r in
            for i in r {
                let l = logw[i], ew = FastMath.exp(l)
                var g = gLogw?[i] ?? 0
                if let gK { g += -(gK[i] * k[i]) * ew; gKIn?[i] += gK[i] * (1 + -ew) }
                let z: Float = l > lower ? -g * -l : 0
                dz[i] = z
                gPre?[i] += z
            }
        }
    }
}
