import Foundation

/// Normalisation kernels over rows of `c` channels. Row statistics are accumulated in Double (the
/// result is the fp32 rounding of the exact value, as close to HF's fp32 math as fp32 allows).
/// Rows are split over threads; the weight/bias gradients use one partial buffer per thread chunk,
/// summed in a fixed order so results do not depend on scheduling.
public enum NormKernels {
    static let minRowsPerThread = 16

    // MARK: RMSNorm

    /// `out = x * rsqrt(mean(x²) + eps) * w` per row; stores `rstd[row]` for the backward.
    public static func rmsNorm(x: UnsafePointer<Float>, weight: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
                               rstd: UnsafeMutablePointer<Float>, rows: Int, c: Int, eps: Float) {
        Parallel.forRanges(rows, minPerThread: minRowsPerThread) { range in
            for r in range {
                let xr = x + r * c, yr = out + r * c
                let ss = VectorReduce.dot(xr, xr, c)
                let inv = Float(1 / (Double(ss) / Double(c) + Double(eps)).squareRoot())
                rstd[r] = inv
                for j in 0..<c { yr[j] = xr[j] * inv * weight[j] }
            }
        }
    }

    /// Accumulates `dx += r (dy⊙w) − x r³/c Σ(dy⊙w⊙x)` and `dw += Σ_rows dy ⊙ x r`.
    public static func rmsNormBackward(x: UnsafePointer<Float>, weight: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
                                       dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>?,
                                       dWeight: UnsafeMutablePointer<Float>?, rows: Int, c: Int) {
        withPartials(rows: rows, c: c, count: 1, into: dWeight.map { [$0] } ?? []) { range, partial in
            for r in range {
                let xr = x + r * c, gr = dy + r * c, inv = rstd[r]
                if let dx {
                    let dot = VectorReduce.dot3(gr, weight, xr, c)
                    let k = dot * inv * inv * inv / Float(c)
                    let dxr = dx + r * c
                    for j in 0..<c { dxr[j] += inv * gr[j] * weight[j] - k * xr[j] }
                }
                if let pw = partial.first { for j in 0..<c { pw[j] += gr[j] * xr[j] * inv } }
            }
        }
    }

    // MARK: LayerNorm / GroupNorm

    /// Normalises each group of `n = c / groups` consecutive channels of each row to zero mean and unit
    /// (biased) variance, then applies the optional per-channel affine `w`, `b` ([c]). Stores mean and
    /// rstd per (row, group). LayerNorm is `groups == 1`.
    public static func groupNorm(x: UnsafePointer<Float>, weight: UnsafePointer<Float>?, bias: UnsafePointer<Float>?,
                                 out: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>,
                                 rstd: UnsafeMutablePointer<Float>, rows: Int, c: Int, groups: Int, eps: Float) {
        let n = c / groups
        Parallel.forRanges(rows, minPerThread: minRowsPerThread) { range in
            for r in range {
                for h in 0..<groups {
                    let base = r * c + h * n, xr = x + base, yr = out + base
                    var s = 0.0
                    for j in 0..<n { s += Double(xr[j]) }
                    let mu = s / Double(n)
                    var v = 0.0
                    for j in 0..<n { let d = Double(xr[j]) - mu; v += d * d }
                    let inv = Float(1 / (v / Double(n) + Double(eps)).squareRoot())
                    let m = Float(mu)
                    mean[r * groups + h] = m; rstd[r * groups + h] = inv
                    for j in 0..<n {
                        var y = (xr[j] - m) * inv
                        if let weight { y *= weight[h * n + j] }
                        if let bias { y += bias[h * n + j] }
                        yr[j] = y
                    }
                }
            }
        }
    }

    /// Backward of `groupNorm`: `dx += rstd (g − mean(g) − x̂ mean(g x̂))` with `g = dy ⊙ w`;
    /// `dw += Σ dy x̂`, `db += Σ dy`.
    public static func groupNormBackward(x: UnsafePointer<Float>, weight: UnsafePointer<Float>?,
                                         mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                                         dx: UnsafeMutablePointer<Float>?, dWeight: UnsafeMutablePointer<Float>?,
                                         dBias: UnsafeMutablePointer<Float>?, rows: Int, c: Int, groups: Int) {
        let n = c / groups
        let targets = [dWeight, dBias].compactMap { $0 }
        withPartials(rows: rows, c: c, count: targets.count, into: targets) { range, partial in
            let pw = dWeight != nil ? partial[0] : nil
            let pb = dBias != nil ? partial[dWeight != nil ? 1 : 0] : nil
            for r in range {
                for h in 0..<groups {
                    let base = r * c + h * n, xr = x + base, gr = dy + base
                    let m = mean[r * groups + h], inv = rstd[r * groups + h]
                    if let dx {
                        var sg: Float = 0, sgx: Float = 0
                        for j in 0..<n {
                            let g = gr[j] * (weight?[h * n + j] ?? 1)
                            sg += g; sgx += g * (xr[j] - m) * inv
                        }
                        sg /= Float(n); sgx /= Float(n)
                        let dxr = dx + base
                        for j in 0..<n {
                            let g = gr[j] * (weight?[h * n + j] ?? 1)
                            dxr[j] += inv * (g - sg - (xr[j] - m) * inv * sgx)
                        }
                    }
                    if let pw { for j in 0..<n { pw[h * n + j] += gr[j] * (xr[j] - m) * inv } }
                    if let pb { for j in 0..<n { pb[h * n + j] += gr[j] } }
                }
            }
        }
    }

    /// Runs `body` over row chunks, each with `count` zeroed per-chunk buffers of `c` floats, then adds
    /// the chunks' buffers into `targets` in chunk order.
    static func withPartials(rows: Int, c: Int, count: Int, into targets: [UnsafeMutablePointer<Float>],
                             _ body: (Range<Int>, [UnsafeMutablePointer<Float>]) -> Void) {
        let chunks = max(1, min(Parallel.threadCount, rows / minRowsPerThread))
        let scratch = TensorStorage(count: chunks * count * c)
        Parallel.forEach(chunks) { t in
            let lo = rows * t / chunks, hi = rows * (t + 1) / chunks
            body(lo..<hi, (0..<count).map { scratch.pointer + (t * count + $0) * c })
        }
        for t in 0..<chunks {
            for (k, dst) in targets.enumerated() {
                let src = scratch.pointer + (t * count + k) * c
                for j in 0..<c { dst[j] += src[j] }
            }
        }
    }

    // MARK: references

    /// RMSNorm in Double, row by row.
    public static func referenceRMSNorm(_ x: [Float], weight: [Float], eps: Float) -> [Float] {
        let c = weight.count
        var out = [Float](repeating: 0, count: x.count)
        for r in 0..<(x.count / c) {
            var ss = 0.0
            for j in 0..<c { ss += Double(x[r * c + j]) * Double(x[r * c + j]) }
            let inv = 1 / (ss / Double(c) + Double(eps)).squareRoot()
            for j in 0..<c { out[r * c + j] = Float(Double(x[r * c + j]) * inv * Double(weight[j])) }
        }
        return out
    }

    /// GroupNorm (LayerNorm when groups == 1) in Double.
    public static func referenceGroupNorm(_ x: [Float], weight: [Float]?, bias: [Float]?, c: Int, groups: Int, eps: Float) -> [Float] {
        let n = c / groups
        var out = [Float](repeating: 0, count: x.count)
        for r in 0..<(x.count / c) {
            for h in 0..<groups {
                let base = r * c + h * n
                let xs = (0..<n).map { Double(x[base + $0]) }
                let mu = xs.reduce(0, +) / Double(n)
                let v = xs.map { ($0 - mu) * ($0 - mu) }.reduce(0, +) / Double(n)
                for j in 0..<n {
                    var y = (xs[j] - mu) / (v + Double(eps)).squareRoot()
                    if let weight { y *= Double(weight[h * n + j]) }
                    if let bias { y += Double(bias[h * n + j]) }
                    out[base + j] = Float(y)
                }
            }
        }
        return out
    }
}
