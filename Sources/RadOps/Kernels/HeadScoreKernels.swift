import Foundation

/// The per-row part of `headTokenScores`: for a block of logits [rows, v], each row's log-probability of
/// its target (log-sum-exp as in `LossKernels`: row maximum subtracted, exponentials summed in Double)
/// and whether the target is the row's argmax (the first maximum, as a greedy decoder picks it).
public enum HeadScoreKernels {
    public static func rows(logits: UnsafePointer<Float>, targets: UnsafePointer<Int32>, rows: Int, v: Int,
                            logProbability: UnsafeMutablePointer<Double>, isArgmax: UnsafeMutablePointer<Bool>) {
        LossKernels.rowsWithScratch(rows) { range, tmp in
            for r in range {
                let row = logits + r * v, target = Int(targets[r])
                logProbability[r] = Double(row[target]) - LossKernels.logSumExp(row, v, tmp: tmp)
                isArgmax[r] = isFirstMaximum(row, v, at: target)
            }
        }
    }

    /// Whether `row[index]` is the row's maximum and no earlier element equals it.
    @inline(__always)
    static func isFirstMaximum(_ row: UnsafePointer<Float>, _ v: Int, at index: Int) -> Bool {
        let x = row[index]
        if VectorReduce.max(row, v) > x { return false }
        for j in 0..<index where row[j] >= x { return false }
        return true
    }

    /// The slow, obvious reference: Double exponentials of the whole row, argmax by a scan.
    public static func reference(_ row: [Float], target: Int) -> (logProbability: Double, isArgmax: Bool) {
        let m = Double(row.max()!)
        let z = row.reduce(0.0) { $0 + Foundation.exp(Double($1) - m) }
        var best = 0
        for j in 1..<row.count where row[j] > row[best] { best = j }
        return (Double(row[target]) - m - Foundation.log(z), best == target)
    }
}
