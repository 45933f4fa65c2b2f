import Foundation

/// Elementwise kernels over raw pointers. Binary kernels broadcast `b` (of `bCount` elements) over the
/// rows of `a` (`count` is a multiple of `bCount`); `bCount == count` is the plain elementwise case.
/// Large tensors are split over `Parallel` threads: below ~64K elements a thread hand-off costs more than
/// the memory traffic it saves (measured by `rad bench`).
public enum ElementwiseKernels {
    /// Elements per thread below which kernels stay on the calling thread.
    public static let minPerThread = 1 << 16

    public enum Binary: Sendable { case add, sub, mul }

    /// `out[i] = a[i] (op) b[i mod bCount]`.
    public static func binary(_ op: Binary, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                              _ out: UnsafeMutablePointer<Float>, count: Int, bCount: Int) {
        // One concrete loop per operator: a closure parameter here kept the loops scalar (measured 8x slower).
        if bCount == count {
            Parallel.forRanges(count, minPerThread: minPerThread) { r in
                let n = r.count, x = a + r.lowerBound, y = b + r.lowerBound, o = out + r.lowerBound
                switch op {
                case .add: for i in 0..<n { o[i] = x[i] + y[i] }
                case .sub: for i in 0..<n { o[i] = x[i] - y[i] }
                case .mul: for i in 0..<n { o[i] = x[i] * y[i] }
                }
            }
        } else {
            let rows = count / bCount
            Parallel.forRanges(rows, minPerThread: max(1, minPerThread / max(bCount, 1))) { r in
                for row in r {
                    let x = a + row * bCount, o = out + row * bCount
                    switch op {
                    case .add: for j in 0..<bCount { o[j] = x[j] + b[j] }
                    case .sub: for j in 0..<bCount { o[j] = x[j] - b[j] }
                    case .mul: for j in 0..<bCount { o[j] = x[j] * b[j] }
                    }
                }
            }
        }
    }

    public enum Unary: Sendable { case sigmoid, tanh, exp, softplus, silu, neg }

    /// `out = f(x)` for the unary activations (sigmoid, exp and silu use `FastMath.exp`).
    public static func unary(_ op: Unary, _ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, count: Int) {
        Parallel.forRanges(count, minPerThread: minPerThread) { r in
            let n = r.count, xs = x + r.lowerBound, o = out + r.lowerBound
            switch op {
            case .sigmoid: for i in 0..<n { o[i] = FastMath.sigmoid(xs[i]) }
            case .tanh: for i in 0..<n { o[i] = Foundation.tanh(xs[i]) }
            case .exp: for i in 0..<n { o[i] = FastMath.exp(xs[i]) }
            case .softplus: for i in 0..<n { o[i] = softplus(xs[i]) }
            case .silu: for i in 0..<n { o[i] = FastMath.silu(xs[i]) }
            case .neg: for i in 0..<n { o[i] = -xs[i] }
            }
        }
    }

    /// `dx += dy · f'(x)` given input x and output y of `unary`.
    public static func unaryBackward(_ op: Unary, x: UnsafePointer<Float>, y: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                                     dx: UnsafeMutablePointer<Float>, count: Int) {
        Parallel.forRanges(count, minPerThread: minPerThread) { r in
            for i in r {
                let g = dy[i]
                switch op {
                case .sigmoid: dx[i] += g * y[i] * (1 - y[i])
                case .tanh: dx[i] += g * (1 - y[i] * y[i])
                case .exp: dx[i] += g * y[i]
                case .softplus: dx[i] += x[i] > 20 ? g : g * FastMath.sigmoid(x[i])
                case .silu: let s = FastMath.sigmoid(x[i]); dx[i] += g * s * (1 + x[i] * (1 - s))
                case .neg: dx[i] -= g
                }
            }
        }
    }

    /// `out = x · s + c` (scale and addScalar).
    public static func affine(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, count: Int, scale s: Float, shift c: Float) {
        Parallel.forRanges(count, minPerThread: minPerThread) { r in
            let n = r.count, xs = x + r.lowerBound, o = out + r.lowerBound
            for i in 0..<n { o[i] = xs[i] * s + c }
        }
    }

    /// `acc += x · s` (+ y if given): gradient accumulation.
    public static func axpy(_ x: UnsafePointer<Float>, scale s: Float, into acc: UnsafeMutablePointer<Float>, count: Int) {
        Parallel.forRanges(count, minPerThread: minPerThread) { r in
            let n = r.count, xs = x + r.lowerBound, o = acc + r.lowerBound
            for i in 0..<n { o[i] += xs[i] * s }
        }
    }

    /// `acc += x ⊙ y`.
    public static func accumulateProduct(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, into acc: UnsafeMutablePointer<Float>, count: Int) {
        Parallel.forRanges(count, minPerThread: minPerThread) { r in
            let n = r.count, xs = x + r.lowerBound, ys = y + r.lowerBound, o = acc + r.lowerBound
            for i in 0..<n { o[i] += xs[i] * ys[i] }
        }
    }

    /// `acc[j] += Σ_rows src[row * n + j] (* other[row * n + j] if given)`: the gradient of a broadcast
    /// operand. Sequential over rows so that the sum order is fixed (reproducible).
    public static func reduceRows(_ src: UnsafePointer<Float>, times other: UnsafePointer<Float>?,
                                  rows: Int, n: Int, into acc: UnsafeMutablePointer<Float>) {
        if let o = other {
            for r in 0..<rows { let s = src + r * n, t = o + r * n; for j in 0..<n { acc[j] += s[j] * t[j] } }
        } else {
            for r in 0..<rows { let s = src + r * n; for j in 0..<n { acc[j] += s[j] } }
        }
    }

    // MARK: scalar functions (shared by forward kernels, backward formulas and the references)

    /// PyTorch `softplus` (beta 1, threshold 20: linear above it).
    @inline(__always) public static func softplus(_ x: Float) -> Float { x > 20 ? x : Foundation.log1p(Foundation.exp(x)) }

    /// SwiGLU forward `out = silu(gate) * up`, one pass.
    public static func swiGLU(gate: UnsafePointer<Float>, up: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, count: Int) {
        Parallel.forRanges(count, minPerThread: minPerThread) { r in
            let n = r.count, gs = gate + r.lowerBound, us = up + r.lowerBound, o = out + r.lowerBound
            for i in 0..<n { o[i] = FastMath.silu(gs[i]) * us[i] }
        }
    }

    /// SwiGLU backward: `dGate += dy * up * silu'(gate)`, `dUp += dy * silu(gate)` (either may be nil).
    public static func swiGLUBackward(gate: UnsafePointer<Float>, up: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                                      dGate: UnsafeMutablePointer<Float>?, dUp: UnsafeMutablePointer<Float>?, count: Int) {
        Parallel.forRanges(count, minPerThread: minPerThread) { r in
            for i in r {
                let g = gate[i], s = FastMath.sigmoid(g)
                if let dg = dGate { dg[i] += dy[i] * up[i] * s * (1 + g * (1 - s)) }
                if let du = dUp { du[i] += dy[i] * g * s }
            }
        }
    }

    // MARK: references (slow, obvious, Double) for tests

    public static func referenceBinary(_ op: Binary, _ a: [Float], _ b: [Float]) -> [Float] {
        (0..<a.count).map { i in
            let x = Double(a[i]), y = Double(b[i % b.count])
            switch op { case .add: return Float(x + y); case .sub: return Float(x - y); case .mul: return Float(x * y) }
        }
    }

    public static func referenceSwiGLU(gate: [Float], up: [Float]) -> [Float] {
        (0..<gate.count).map { i in let g = Double(gate[i]); return Float(g / (1 + Foundation.exp(-g)) * Double(up[i])) }
    }
}
