import Foundation

/// The elementwise passes of `rwkv7Keys` over rows of H heads × N values (the kv input has KVH heads,
/// head h reads kv head h / groups). Rows split across threads; each row writes only its own outputs,
/// so results do not depend on the thread count. The exponentials are `FastMath`'s, as the `sigmoid`
/// and `exp` ops', and the operations run in the order of the op-by-op chain, so the forward equals
/// that chain bit for bit.
public enum RWKV7KeyKernels {
    static let minRowsPerThread = 4
    /// logw = −e^{−1/2}·σ(dd).
    public static let decayScale = -Float(exp(-0.5))

    public struct Shape: Sendable {
        public var rows: Int, heads: Int, kvHeads: Int, headDim: Int
        public init(rows: Int, heads: Int, kvHeads: Int, headDim: Int) {
            self.rows = rows; self.heads = heads; self.kvHeads = kvHeads; self.headDim = headDim
        }
        var d: Int { heads * headDim }
        var groups: Int { heads / kvHeads }
    }

    /// The standard RWKV-7 formula's per-channel parameters (nil = state balancing).
    public struct Standard {
        public var kK: UnsafePointer<Float>, kA: UnsafePointer<Float>
        public init(kK: UnsafePointer<Float>, kA: UnsafePointer<Float>) { self.kK = kK; self.kA = kA }
    }

    /// logw = decayScale·σ(pre + w0); a = σ(aPre + a0); κ = normalize(k) (or normalize(k ⊙ k_k));
    /// kOut = k ⊙ (1 − w + a) (or k ⊙ (1 + (a − 1) ⊙ k_a)); α = −κ; β = κ ⊙ a. `norms` [rows·H]
    /// receives each head's max(‖·‖₂, eps) for the backward.
    public static func forward(pre: UnsafePointer<Float>, w0: UnsafePointer<Float>, aPre: UnsafePointer<Float>,
                               a0: UnsafePointer<Float>, k: UnsafePointer<Float>, standard: Standard?, eps: Float,
                               shape s: Shape, logw: UnsafeMutablePointer<Float>, kOut: UnsafeMutablePointer<Float>,
                               alpha: UnsafeMutablePointer<Float>, beta: UnsafeMutablePointer<Float>,
                               norms: UnsafeMutablePointer<Float>) {
        let n = s.headDim, d = s.d, kvd = s.kvHeads * n, groups = s.groups
        Parallel.forRanges(s.rows, minPerThread: minRowsPerThread) { range in
            let u = UnsafeMutablePointer<Float>.allocate(capacity: n)
            defer { u.deallocate() }
            for row in range {
                for h in 0..<s.heads {
                    let o = row * d + h * n, c0 = h * n
                    let kr = k + row * kvd + (h / groups) * n
                    // κ's numerator and its norm, as `normalizePerHead` sums (in Double, in order).
                    if let st = standard { for j in 0..<n { u[j] = kr[j] * st.kK[c0 + j] } } else { u.update(from: kr, count: n) }
                    var sq: Double = 0
                    for j in 0..<n { sq += Double(u[j]) * Double(u[j]) }
                    let norm = max(Float(sq.squareRoot()), eps), inv = 1 / norm
                    norms[row * s.heads + h] = norm
                    for j in 0..<n {
                        let i = o + j, c = c0 + j
                        let l = FastMath.sigmoid(pre[i] + w0[c]) * decayScale
                        let a = FastMath.sigmoid(aPre[i] + a0[c])
                        let kappa = u[j] * inv
                        logw[i] = l
                        if let st = standard {
                            kOut[i] = kr[j] * (((a + -1) * st.kA[c]) + 1)
                        } else {
                            kOut[i] = kr[j] * ((-FastMath.exp(l) + 1) + a)
                        }
                        alpha[i] = -kappa
                        beta[i] = kappa * a
                    }
                }
            }
        }
    }

    /// Backward for the upstream gradients of logw, kOut, α and β (each optional) from the forward's
    /// outputs logw and α (κ = −α) and inputs aPre, a0, k. Writes dzW (the gradient of pre + w0) and
    /// dzA (of aPre + a0) [rows·D], for every element; adds into gK [rows, KVH·N] when given. With the
    /// standard formula, writes the per-element terms of k_k's and k_a's gradients into dKK and dKA.
    public static func backward(logw: UnsafePointer<Float>, alpha: UnsafePointer<Float>, aPre: UnsafePointer<Float>,
                                a0: UnsafePointer<Float>, k: UnsafePointer<Float>, norms: UnsafePointer<Float>,
                                standard: Standard?, eps: Float, shape s: Shape,
                                gLogw: UnsafePointer<Float>?, gKOut: UnsafePointer<Float>?,
                                gAlpha: UnsafePointer<Float>?, gBeta: UnsafePointer<Float>?,
                                dzW: UnsafeMutablePointer<Float>, dzA: UnsafeMutablePointer<Float>,
                                gK: UnsafeMutablePointer<Float>?,
                                dKK: UnsafeMutablePointer<Float>?, dKA: UnsafeMutablePointer<Float>?) {
        let n = s.headDim, d = s.d, kvd = s.kvHeads * n, groups = s.groups
        Parallel.forRanges(s.rows, minPerThread: minRowsPerThread) { range in
            let gKappa = UnsafeMutablePointer<Float>.allocate(capacity: n)
            defer { gKappa.deallocate() }
            for row in range {
                for h in 0..<s.heads {
                    let o = row * d + h * n, c0 = h * n
                    let kr = k + row * kvd + (h / groups) * n
                    let gkr = gK.map { $0 + row * kvd + (h / groups) * n }
                    let norm = norms[row * s.heads + h]
                    var dot: Float = 0
                    for j in 0..<n {
                        let i = o + j
                        let a = FastMath.sigmoid(aPre[i] + a0[c0 + j])
                        var gk = -(gAlpha?[i] ?? 0)
                        if let gBeta { gk += gBeta[i] * a }
                        gKappa[j] = gk
                        dot += gk * -alpha[i]
                    }
                    for j in 0..<n {
                        let i = o + j, c = c0 + j, kappa = -alpha[i]
                        let a = FastMath.sigmoid(aPre[i] + a0[c])
                        let gk = gKOut?[i] ?? 0
                        // κ's gradient through the normalisation (linear below eps, as normalizePerHead).
                        let gu = norm <= eps ? gKappa[j] / eps : (gKappa[j] - kappa * dot) / norm
                        var ga = (gBeta?[i] ?? 0) * kappa
                        var gl = gLogw?[i] ?? 0
                        var gkIn: Float
                        if let st = standard {
                            gkIn = gu * st.kK[c] + gk * (((a + -1) * st.kA[c]) + 1)
                            ga += gk * kr[j] * st.kA[c]
                            dKK?[i] = gu * kr[j]
                            dKA?[i] = gk * kr[j] * (a + -1)
                        } else {
                            let w = FastMath.exp(logw[i])
                            gkIn = gu + gk * ((-w + 1) + a)
                            ga += gk * kr[j]
                            gl += -(gk * kr[j]) * w
                        }
                        gkr?[j] += gkIn
                        dzA[i] = ga * a * (1 - a)
                        // σ(dd) recovered from logw (within an ulp of the forward's).
                        let sg = logw[i] / decayScale
                        dzW[i] = gl * decayScale * sg * (1 - sg)
                    }
                }
            }
        }
    }

    /// acc[j] += Σ_rows x[row, j] (rows in order, columns split across threads).
    public static func columnSums(_ x: UnsafePointer<Float>, rows: Int, c: Int, into acc: UnsafeMutablePointer<Float>) {
        TokenShiftKernels.columnSums(x, rows: rows, c: c, into: acc)
    }
}
