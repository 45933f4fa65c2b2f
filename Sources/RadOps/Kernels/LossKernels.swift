import Foundation

/// Row-wise softmax-family kernels over logits [rows, v]. Each row's log-sum-exp subtracts the row
/// maximum and sums the exponentials in Double; per-row losses are summed in Double in row order, so
/// results do not depend on the thread split. Nothing of size rows × v is allocated: a row's
/// probabilities are recomputed from its logits and log-sum-exp when needed.
public enum LossKernels {
    static let minRowsPerThread = 4

    /// log Σ_j e^{x_j} of one row.
    @inline(__always)
    public static func logSumExp(_ x: UnsafePointer<Float>, _ v: Int) -> Double {
        var m = -Float.infinity
        for j in 0..<v { m = max(m, x[j]) }
        var s: Float = 0, total = 0.0
        // Blocks of 1024 in fp32, blocks summed in Double: vectorises, and stays accurate for big vocabs.
        var j = 0
        while j < v {
            let end = min(v, j + 1024)
            s = 0
            for i in j..<end { s += Foundation.exp(x[i] - m) }
            total += Double(s)
            j = end
        }
        return Double(m) + Foundation.log(total)
    }

    /// `out = x − logsumexp(x)` per row.
    public static func logSoftmax(x: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, rows: Int, v: Int) {
        Parallel.forRanges(rows, minPerThread: minRowsPerThread) { range in
            for r in range {
                let lse = Float(logSumExp(x + r * v, v))
                for j in 0..<v { out[r * v + j] = x[r * v + j] - lse }
            }
        }
    }

    /// `dx += dy − softmax · Σ dy` per row, with softmax = exp(y) from the stored output y.
    public static func logSoftmaxBackward(y: UnsafePointer<Float>, dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>,
                                          rows: Int, v: Int) {
        Parallel.forRanges(rows, minPerThread: minRowsPerThread) { range in
            for r in range {
                let yr = y + r * v, gr = dy + r * v, dr = dx + r * v
                var s = 0.0
                for j in 0..<v { s += Double(gr[j]) }
                let sf = Float(s)
                for j in 0..<v { dr[j] += gr[j] - Foundation.exp(yr[j]) * sf }
            }
        }
    }

    /// Per-row negative log-likelihood `lse − x[target]`; stores lse per row. Returns Σ over rows.
    public static func crossEntropy(logits: UnsafePointer<Float>, targets: UnsafePointer<Int32>, lse: UnsafeMutablePointer<Float>,
                                    rows: Int, v: Int) -> Double {
        let perRow = UnsafeMutablePointer<Double>.allocate(capacity: max(rows, 1))
        defer { perRow.deallocate() }
        Parallel.forRanges(rows, minPerThread: minRowsPerThread) { range in
            for r in range {
                let l = logSumExp(logits + r * v, v)
                lse[r] = Float(l)
                perRow[r] = l - Double(logits[r * v + Int(targets[r])])
            }
        }
        var total = 0.0
        for r in 0..<rows { total += perRow[r] }
        return total
    }

    /// `dLogits += scale · (softmax − onehot(target))`.
    public static func crossEntropyBackward(logits: UnsafePointer<Float>, targets: UnsafePointer<Int32>, lse: UnsafePointer<Float>,
                                            scale: Float, dLogits: UnsafeMutablePointer<Float>, rows: Int, v: Int) {
        Parallel.forRanges(rows, minPerThread: minRowsPerThread) { range in
            for r in range {
                let xr = logits + r * v, dr = dLogits + r * v, l = lse[r]
                for j in 0..<v { dr[j] += scale * Foundation.exp(xr[j] - l) }
                dr[Int(targets[r])] -= scale
            }
        }
    }

    /// KL(p_T ‖ p_S) summed over rows `0 ..< rows`: Σ_v p_T (log p_T − log p_S). Stores both
    /// log-sum-exps per row for the backward. Rows are processed in chunks of `chunkSize` (the unit of
    /// work per thread); no rows × v temporaries exist.
    public static func klDivergence(teacher: UnsafePointer<Float>, student: UnsafePointer<Float>,
                                    lseTeacher: UnsafeMutablePointer<Float>, lseStudent: UnsafeMutablePointer<Float>,
                                    rows: Int, v: Int, chunkSize: Int) -> Double {
        let perRow = UnsafeMutablePointer<Double>.allocate(capacity: max(rows, 1))
        defer { perRow.deallocate() }
        let chunk = max(1, chunkSize)
        for lo in stride(from: 0, to: rows, by: chunk) {
            let hi = min(rows, lo + chunk)
            Parallel.forRanges(hi - lo, minPerThread: minRowsPerThread) { range in
                for r in (lo + range.lowerBound)..<(lo + range.upperBound) {
                    let tr = teacher + r * v, sr = student + r * v
                    let lt = logSumExp(tr, v), ls = logSumExp(sr, v)
                    lseTeacher[r] = Float(lt); lseStudent[r] = Float(ls)
                    let ltf = Float(lt), diff = Float(ls - lt)
                    var acc = 0.0
                    var j = 0
                    while j < v {
                        let end = min(v, j + 1024)
                        var s: Float = 0
                        for i in j..<end { s += Foundation.exp(tr[i] - ltf) * (tr[i] - sr[i] + diff) }
                        acc += Double(s)
                        j = end
                    }
                    perRow[r] = acc
                }
            }
        }
        var total = 0.0
        for r in 0..<rows { total += perRow[r] }
        return total
    }

    /// `dStudent += scale · (softmax(S) − softmax(T))`, recomputed row by row from the stored lse.
    public static func klDivergenceBackward(teacher: UnsafePointer<Float>, student: UnsafePointer<Float>,
                                            lseTeacher: UnsafePointer<Float>, lseStudent: UnsafePointer<Float>,
                                            scale: Float, dStudent: UnsafeMutablePointer<Float>, rows: Int, v: Int) {
        Parallel.forRanges(rows, minPerThread: minRowsPerThread) { range in
            for r in range {
                let tr = teacher + r * v, sr = student + r * v, dr = dStudent + r * v
                let lt = lseTeacher[r], ls = lseStudent[r]
                for j in 0..<v { dr[j] += scale * (Foundation.exp(sr[j] - ls) - Foundation.exp(tr[j] - lt)) }
            }
        }
    }

    // MARK: references (Double, whole rows materialised)

    public static func referenceLogSoftmax(_ x: [Float], v: Int) -> [Double] {
        var out = [Double](repeating: 0, count: x.count)
        for r in 0..<(x.count / v) {
            let row = (0..<v).map { Double(x[r * v + $0]) }
            let m = row.max()!
            let lse = m + Foundation.log(row.map { Foundation.exp($0 - m) }.reduce(0, +))
            for j in 0..<v { out[r * v + j] = row[j] - lse }
        }
        return out
    }

    public static func referenceKL(teacher: [Float], student: [Float], v: Int) -> Double {
        let lt = referenceLogSoftmax(teacher, v: v), ls = referenceLogSoftmax(student, v: v)
        var s = 0.0
        for i in 0..<lt.count { s += Foundation.exp(lt[i]) * (lt[i] - ls[i]) }
        return s / Double(teacher.count / v)
    }

    public static func referenceCrossEntropy(_ logits: [Float], targets: [Int32], v: Int) -> Double {
        let l = referenceLogSoftmax(logits, v: v)
        var s = 0.0
        for (r, t) in targets.enumerated() { s -= l[r * v + Int(t)] }
        return s / Double(targets.count)
    }
}
