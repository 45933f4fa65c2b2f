import Foundation

/// Row-wise softmax-family kernels over logits [rows, v]. Each row's log-sum-exp subtracts the row
/// maximum and sums the exponentials in Double; per-row losses are summed in Double in row order, so
/// results do not depend on the thread split. Nothing of size rows × v is allocated: a row's
/// probabilities are recomputed from its logits and log-sum-exp when needed.
public enum LossKernels {
    static let minRowsPerThread = 4

    /// Exponentials are written to a per-thread block buffer and then summed with vector accumulators
    /// (a fused `s += exp(..)` loop is a strict scalar sum and does not vectorise).
    static let block = 1024

    /// log Σ_j e^{x_j} of one row; `tmp` holds `block` floats.
    @inline(__always)
    public static func logSumExp(_ x: UnsafePointer<Float>, _ v: Int, tmp: UnsafeMutablePointer<Float>) -> Double {
        let m = VectorReduce.max(x, v)
        var total = 0.0, j = 0
        while j < v {
            let len = min(block, v - j), xs = x + j
            for i in 0..<len { tmp[i] = FastMath.exp(xs[i] - m) }
            total += Double(VectorReduce.sum(tmp, len))
            j += len
        }
        return Double(m) + Foundation.log(total)
    }

    /// Runs `body` over row ranges with a scratch of 3 blocks per call.
    @inline(__always)
    static func rowsWithScratch(_ rows: Int, _ body: (Range<Int>, UnsafeMutablePointer<Float>) -> Void) {
        Parallel.forRanges(rows, minPerThread: minRowsPerThread) { range in
            let tmp = UnsafeMutablePointer<Float>.allocate(capacity: 3 * block)
            defer { tmp.deallocate() }
            body(range, tmp)
        }
    }

    /// `out = x − logsumexp(x)` per row.
    public static func logSoftmax(x: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, rows: Int, v: Int) {
        rowsWithScratch(rows) { range, tmp in
            for r in range {
                let lse = Float(logSumExp(x + r * v, v, tmp: tmp))
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
                let sf = VectorReduce.sum(gr, v)
                for j in 0..<v { dr[j] += gr[j] - FastMath.exp(yr[j]) * sf }
            }
        }
    }

    /// Per-row negative log-likelihood `lse − x[target]`; stores lse per row. Returns Σ over rows.
    public static func crossEntropy(logits: UnsafePointer<Float>, targets: UnsafePointer<Int32>, lse: UnsafeMutablePointer<Float>,
                                    rows: Int, v: Int) -> Double {
        let perRow = UnsafeMutablePointer<Double>.allocate(capacity: max(rows, 1))
        defer { perRow.deallocate() }
        rowsWithScratch(rows) { range, tmp in
            for r in range {
                let l = logSumExp(logits + r * v, v, tmp: tmp)
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
                for j in 0..<v { dr[j] += scale * FastMath.exp(xr[j] - l) }
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
            rowsWithScratch(hi - lo) { range, tmp in
                for r in (lo + range.lowerBound)..<(lo + range.upperBound) {
                    let row = klRow(teacher + r * v, student + r * v, v, tmp: tmp)
                    lseTeacher[r] = Float(row.lseTeacher); lseStudent[r] = Float(row.lseStudent)
                    perRow[r] = row.kl
                }
            }
        }
        var total = 0.0
        for r in 0..<rows { total += perRow[r] }
        return total
    }

    /// KL(p_T ‖ p_S) of one row pair and both log-sum-exps, in one exp pass over both rows: with the row
    /// maxima mT, mS, KL = Σ e^{t−mT}(t − s) / Σ e^{t−mT} + lse(S) − lse(T). `tmp` holds 3 blocks.
    @inline(__always)
    static func klRow(_ tr: UnsafePointer<Float>, _ sr: UnsafePointer<Float>, _ v: Int,
                      tmp: UnsafeMutablePointer<Float>) -> (kl: Double, lseTeacher: Double, lseStudent: Double) {
        let mT = VectorReduce.max(tr, v), mS = VectorReduce.max(sr, v)
        let eT = tmp, eS = tmp + block, w = tmp + 2 * block
        var sumT = 0.0, sumS = 0.0, weighted = 0.0
        var j = 0
        while j < v {
            let len = min(block, v - j), ts = tr + j, ss = sr + j
            for i in 0..<len {
                let et = FastMath.exp(ts[i] - mT)
                eT[i] = et; eS[i] = FastMath.exp(ss[i] - mS); w[i] = et * (ts[i] - ss[i])
            }
            sumT += Double(VectorReduce.sum(eT, len))
            sumS += Double(VectorReduce.sum(eS, len))
            weighted += Double(VectorReduce.sum(w, len))
            j += len
        }
        let lt = Double(mT) + Foundation.log(sumT), ls = Double(mS) + Foundation.log(sumS)
        return (weighted / sumT + ls - lt, lt, ls)
    }

    /// `dStudent += scale · (softmax(S) − softmax(T))`, recomputed row by row from the stored lse.
    public static func klDivergenceBackward(teacher: UnsafePointer<Float>, student: UnsafePointer<Float>,
                                            lseTeacher: UnsafePointer<Float>, lseStudent: UnsafePointer<Float>,
                                            scale: Float, dStudent: UnsafeMutablePointer<Float>, rows: Int, v: Int) {
        Parallel.forRanges(rows, minPerThread: minRowsPerThread) { range in
            for r in range {
                let tr = teacher + r * v, sr = student + r * v, dr = dStudent + r * v
                let lt = lseTeacher[r], ls = lseStudent[r]
                for j in 0..<v { dr[j] += scale * (FastMath.exp(sr[j] - ls) - FastMath.exp(tr[j] - lt)) }
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
