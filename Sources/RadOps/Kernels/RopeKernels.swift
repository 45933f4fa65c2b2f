import Foundation

/// Rotary position embedding, HF "rotate half" convention: element i of a head is paired with
/// i + N/2 and rotated by angle `pos · θ^(−2i/N)`.
public enum RopeKernels {
    /// cos and sin tables [positions.count, N/2], angles computed in Double then rounded to fp32.
    public static func tables(positions: [Int], theta: Float, headDim n: Int) -> (cos: [Float], sin: [Float]) {
        let half = n / 2
        var c = [Float](repeating: 0, count: positions.count * half), s = c
        for (t, pos) in positions.enumerated() {
            for i in 0..<half {
                let angle = Double(pos) * Foundation.pow(Double(theta), -2 * Double(i) / Double(n))
                c[t * half + i] = Float(Foundation.cos(angle)); s[t * half + i] = Float(Foundation.sin(angle))
            }
        }
        return (c, s)
    }

    /// Rotates `x` [B, T, heads, N] into `out` with the tables of T positions; `inverse` rotates by the
    /// negative angle (the backward pass). `out` may equal `x` (in place).
    public static func apply(x: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, cos: UnsafePointer<Float>,
                             sin: UnsafePointer<Float>, batch: Int, t: Int, heads: Int, n: Int, inverse: Bool) {
        let half = n / 2, sign: Float = inverse ? -1 : 1
        Parallel.forRanges(batch * t, minPerThread: max(1, 8192 / max(heads * n, 1))) { range in
            for bt in range {
                let tok = bt % t, c = cos + tok * half, s = sin + tok * half
                for h in 0..<heads {
                    let xr = x + (bt * heads + h) * n, yr = out + (bt * heads + h) * n
                    for i in 0..<half {
                        let x1 = xr[i], x2 = xr[i + half], sn = sign * s[i]
                        yr[i] = x1 * c[i] - x2 * sn
                        yr[i + half] = x2 * c[i] + x1 * sn
                    }
                }
            }
        }
    }

    /// Reference in Double, straight from the HF formula `x·cos + rotate_half(x)·sin`.
    public static func reference(_ x: [Float], positions: [Int], theta: Float, batch: Int, heads: Int, n: Int) -> [Float] {
        let t = positions.count, half = n / 2
        var out = x
        for b in 0..<batch { for tok in 0..<t { for h in 0..<heads {
            let base = ((b * t + tok) * heads + h) * n
            for j in 0..<n {
                let i = j % half
                let angle = Double(positions[tok]) * Foundation.pow(Double(theta), -2 * Double(i) / Double(n))
                let rot = j < half ? -Double(x[base + j + half]) : Double(x[base + j - half])
                out[base + j] = Float(Double(x[base + j]) * Foundation.cos(angle) + rot * Foundation.sin(angle))
            }
        } } }
        return out
    }
}
