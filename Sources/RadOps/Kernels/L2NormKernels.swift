import Foundation

/// L2 normalisation of rows of `c` values as FLA's `l2norm` (fla/modules/l2norm.py, which the gated
/// delta rule uses for q and k): `y = x · rsqrt(Σ x² + eps)`. Unlike `torch.nn.functional.normalize`
/// (`x / max(‖x‖, eps)`, `normalizePerHead`), eps sits inside the root, so the map is smooth at 0.
public enum L2NormKernels {
    static let minRowsPerThread = 64

    /// `out = x · rsqrt(Σ x² + eps)` per row; stores `rstd[row]` for the backward. The sum is in Double.
    public static func forward(x: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
                               rstd: UnsafeMutablePointer<Float>, rows: Int, c: Int, eps: Float) {
        Parallel.forRanges(rows, minPerThread: minRowsPerThread) { range in
            for r in range {
                let xr = x + r * c, yr = out + r * c
                var ss = 0.0
                for j in 0..<c { ss += Double(xr[j]) * Double(xr[j]) }
                let inv = Float(1 / (ss + Double(eps)).squareRoot())
                rstd[r] = inv
                for j in 0..<c { yr[j] = xr[j] * inv }
            }
        }
    }

    /// Accumulates `dx += r·dy − x·r³·(dy·x)` (r = rstd), the derivative of x·(Σx² + eps)^{-1/2}.
    public static func backward(x: UnsafePointer<Float>, rstd: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                                dx: UnsafeMutablePointer<Float>, rows: Int, c: Int) {
        Parallel.forRanges(rows, minPerThread: minRowsPerThread) { range in
            for r in range {
                let xr = x + r * c, gr = dy + r * c, dxr = dx + r * c, inv = rstd[r]
                let k = VectorReduce.dot(gr, xr, c) * inv * inv * inv
                for j in 0..<c { dxr[j] += inv * gr[j] - k * xr[j] }
            }
        }
    }

    /// Reference in Double, row by row.
    public static func reference(_ x: [Float], c: Int, eps: Float) -> [Float] {
        var out = [Float](repeating: 0, count: x.count)
        for r in 0..<(x.count / c) {
            var ss = 0.0
            for j in 0..<c { ss += Double(x[r * c + j]) * Double(x[r * c + j]) }
            let inv = 1 / (ss + Double(eps)).squareRoot()
            for j in 0..<c { out[r * c + j] = Float(Double(x[r * c + j]) * inv) }
        }
        return out
    }
}
