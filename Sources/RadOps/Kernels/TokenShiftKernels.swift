import Foundation

/// The elementwise passes of `tokenShiftMix` over rows of C values. Row loops split across threads;
/// column sums (the gradients of the per-channel mixes) split by columns and add rows in order, so
/// results do not depend on the thread count.
public enum TokenShiftKernels {
    static let minRowsPerThread = 8

    /// dx = x_{t−1} − x_t (the first row of each sequence reads `previous`, else 0); xx = x + dx ⊙ maaX.
    public static func shiftDelta(_ x: UnsafePointer<Float>, previous: UnsafePointer<Float>?, b: Int, t: Int, c: Int,
                                  dx: UnsafeMutablePointer<Float>, xx: UnsafeMutablePointer<Float>, maaX: UnsafePointer<Float>) {
        Parallel.forRanges(b * t, minPerThread: minRowsPerThread) { rows in
            for row in rows {
                let ti = row % t, xr = x + row * c, d = dx + row * c, o = xx + row * c
                let before: UnsafePointer<Float>? = ti > 0 ? x + (row - 1) * c : previous.map { $0 + (row / t) * c }
                if let before { for j in 0..<c { d[j] = before[j] - xr[j] } } else { for j in 0..<c { d[j] = -xr[j] } }
                for j in 0..<c { o[j] = xr[j] + d[j] * maaX[j] }
            }
        }
    }

    /// out = x + dx ⊙ (p + maa).
    public static func mix(_ x: UnsafePointer<Float>, dx: UnsafePointer<Float>, p: UnsafePointer<Float>, maa: UnsafePointer<Float>,
                           rows: Int, c: Int, out: UnsafeMutablePointer<Float>) {
        Parallel.forRanges(rows, minPerThread: minRowsPerThread) { range in
            for row in range {
                let o = row * c
                for j in 0..<c { out[o + j] = x[o + j] + dx[o + j] * (p[o + j] + maa[j]) }
            }
        }
    }

    /// Backward of `mix` for upstream g: gp = g ⊙ dx (written), gdx += g ⊙ (p + maa), gx += g,
    /// gmaa += Σ_rows gp.
    public static func mixBackward(_ g: UnsafePointer<Float>, dx: UnsafePointer<Float>, p: UnsafePointer<Float>, maa: UnsafePointer<Float>,
                                   rows: Int, c: Int, gdx: UnsafeMutablePointer<Float>, gp: UnsafeMutablePointer<Float>,
                                   gx: UnsafeMutablePointer<Float>?, gmaa: UnsafeMutablePointer<Float>?) {
        Parallel.forRanges(rows, minPerThread: minRowsPerThread) { range in
            for row in range {
                let o = row * c
                for j in 0..<c {
                    gp[o + j] = g[o + j] * dx[o + j]
                    gdx[o + j] += g[o + j] * (p[o + j] + maa[j])
                }
                if let gx { for j in 0..<c { gx[o + j] += g[o + j] } }
            }
        }
        if let gmaa { columnSums(gp, rows: rows, c: c, into: gmaa) }
    }

    /// Backward of shiftDelta for the gradients gxx (of xx) and gdx (of dx, complete: `mix`'s part added
    /// first): gx += gxx − gdx_t + gdx_{t+1} (within each sequence), gmaaX += Σ_rows gxx ⊙ dx. `gdx` is
    /// updated in place with the xx path (gdx += gxx ⊙ maaX).
    public static func shiftDeltaBackward(gxx: UnsafePointer<Float>, gdx: UnsafeMutablePointer<Float>, dx: UnsafePointer<Float>,
                                          maaX: UnsafePointer<Float>, b: Int, t: Int, c: Int,
                                          gx: UnsafeMutablePointer<Float>?, gmaaX: UnsafeMutablePointer<Float>?) {
        if let gmaaX {
            Parallel.forRanges(c, minPerThread: 16) { cols in
                for row in 0..<(b * t) {
                    let o = row * c
                    for j in cols { gmaaX[j] += gxx[o + j] * dx[o + j] }
                }
            }
        }
        let n = b * t
        Parallel.forRanges(n, minPerThread: minRowsPerThread) { range in
            for row in range { let o = row * c; for j in 0..<c { gdx[o + j] += gxx[o + j] * maaX[j] } }
        }
        guard let gx else { return }
        // Each row of gx reads its own gdx and the next row's: rows are independent, so split them.
        Parallel.forRanges(n, minPerThread: minRowsPerThread) { range in
            for row in range {
                let o = row * c, last = row % t == t - 1
                for j in 0..<c { gx[o + j] += gxx[o + j] - gdx[o + j] }
                if !last { for j in 0..<c { gx[o + j] += gdx[o + c + j] } }
            }
        }
    }

    public static func tanhInPlace(_ x: UnsafeMutablePointer<Float>, count: Int) {
        Parallel.forRanges(count, minPerThread: 4096) { r in for i in r { x[i] = Foundation.tanh(x[i]) } }
    }

    /// g ⊙= 1 − tanh².
    public static func tanhBackwardInPlace(_ g: UnsafeMutablePointer<Float>, tanh y: UnsafePointer<Float>, count: Int) {
        Parallel.forRanges(count, minPerThread: 4096) { r in for i in r { g[i] *= 1 - y[i] * y[i] } }
    }

    /// acc[j] += Σ_rows x[row, j], rows in order.
    static func columnSums(_ x: UnsafePointer<Float>, rows: Int, c: Int, into acc: UnsafeMutablePointer<Float>) {
        Parallel.forRanges(c, minPerThread: 16) { cols in
            for row in 0..<rows { let o = row * c; for j in cols { acc[j] += x[o + j] } }
        }
    }
}
