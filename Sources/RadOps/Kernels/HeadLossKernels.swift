import Foundation

/// The per-row part of the fused output head and loss (`fusedHeadLoss`): for a block of student logits
/// S [rows, v] (and teacher logits T, or targets) the loss of each row and, in place of S, the gradient
/// of the loss with respect to S. Exponentials are summed in Double as in `LossKernels`.
public enum HeadLossKernels {
    /// Rows per block of the fused head ops (`fusedHeadLoss`, `headTokenScores`): at a 49k-152k vocabulary
    /// one block of logits is 50-155 MB, and each block's GEMM is still large enough for OpenBLAS's peak.
    public static let defaultBlockRows = 256

    /// What a block's loss is made of: `kl · KL(p_T ‖ p_S) + ce · CE(S, target)` per row.
    public struct Weights: Sendable {
        public var kl: Float
        public var ce: Float
        public init(kl: Float, ce: Float) { self.kl = kl; self.ce = ce }
    }

    /// Row losses into `loss` [rows] (Double). When `gradScale` is non-nil, S is overwritten with
    /// gradScale · ∂loss_r/∂S = gradScale · ((kl + ce) · softmax(S) − kl · softmax(T) − ce · onehot(target)).
    public static func rows(student s: UnsafeMutablePointer<Float>, teacher t: UnsafePointer<Float>?,
                            targets: UnsafePointer<Int32>?, weights w: Weights, rows: Int, v: Int,
                            loss: UnsafeMutablePointer<Double>, gradScale: Float?) {
        precondition(w.kl == 0 || t != nil, "HeadLossKernels: a KL weight needs teacher logits")
        precondition(w.ce == 0 || targets != nil, "HeadLossKernels: a CE weight needs targets")
        LossKernels.rowsWithScratch(rows) { range, tmp in
            for r in range {
                let sr = s + r * v
                var l = 0.0, lseS = 0.0, lseT = 0.0
                if w.kl != 0, let t {
                    let row = LossKernels.klRow(t + r * v, sr, v, tmp: tmp)
                    l += Double(w.kl) * row.kl
                    lseS = row.lseStudent; lseT = row.lseTeacher
                } else {
                    lseS = LossKernels.logSumExp(sr, v, tmp: tmp)
                }
                var target = -1
                if w.ce != 0, let targets {
                    target = Int(targets[r])
                    l += Double(w.ce) * (lseS - Double(sr[target]))
                }
                loss[r] = l
                guard let g = gradScale else { continue }
                let a = g * (w.kl + w.ce), fs = Float(lseS)
                if w.kl != 0, let t {
                    let tr = t + r * v, b = g * w.kl, ft = Float(lseT)
                    for j in 0..<v { sr[j] = a * FastMath.exp(sr[j] - fs) - b * FastMath.exp(tr[j] - ft) }
                } else {
                    for j in 0..<v { sr[j] = a * FastMath.exp(sr[j] - fs) }
                }
                if target >= 0 { sr[target] -= g * w.ce }
            }
        }
    }
}
