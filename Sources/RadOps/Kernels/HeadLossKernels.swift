import Foundation

/// The per-row part of the fused output head and loss (`fusedHeadLoss`): for a block of student logits
/// S [rows, v] (and teacher logits T, or targets) the loss of each row and, in place of S, the gradient
/// of the loss with respect to S. Exponentials are summed in Double as in `LossKernels`.
public enum HeadLossKernels {
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
            let block = LossKernels.block
            for r in range {
                let sr = s + r * v
                let mS = VectorReduce.max(sr, v)
                var sumS = 0.0, sumT = 0.0, weighted = 0.0, mT: Float = 0
                if w.kl != 0, let t {
                    let tr = t + r * v
                    mT = VectorReduce.max(tr, v)
                    let eT = tmp, eS = tmp + block, wt = tmp + 2 * block
                    var j = 0
                    while j < v {
                        let len = min(block, v - j), ts = tr + j, ss = sr + j
                        for i in 0..<len {
                            let et = FastMath.exp(ts[i] - mT)
                            eT[i] = et; eS[i] = FastMath.exp(ss[i] - mS); wt[i] = et * (ts[i] - ss[i])
                        }
                        sumT += Double(VectorReduce.sum(eT, len))
                        sumS += Double(VectorReduce.sum(eS, len))
                        weighted += Double(VectorReduce.sum(wt, len))
                        j += len
                    }
                } else {
                    var j = 0
                    while j < v {
                        let len = min(block, v - j), ss = sr + j
                        for i in 0..<len { tmp[i] = FastMath.exp(ss[i] - mS) }
                        sumS += Double(VectorReduce.sum(tmp, len))
                        j += len
                    }
                }
                let lseS = Double(mS) + Foundation.log(sumS)
                let lseT = Double(mT) + Foundation.log(max(sumT, .leastNonzeroMagnitude))
                var l = 0.0
                if w.kl != 0 { l += Double(w.kl) * (weighted / sumT + lseS - lseT) }
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
