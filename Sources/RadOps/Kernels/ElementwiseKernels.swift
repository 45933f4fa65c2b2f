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
        switch op {
        case .add: broadcast(a, b, out, count, bCount) { $0 + $1 }
        case .sub: broadcast(a, b, out, count, bCount) { $0 - $1 }
        case .mul: broadcast(a, b, out, count, bCount) { $0 * $1 }
        }
    }

    @inline(__always)
    static func broadcast(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>,
                          _ count: Int, _ bCount: Int, _ f: (Float, Float) -> Float) {
        if bCount == count {
            Parallel.forRanges(count, minPerThread: minPerThread) { r in
                for i in r { out[i] = f(a[i], b[i]) }
            }
        } else {
            let rows = count / bCount
            Parallel.forRanges(rows, minPerThread: max(1, minPerThread / max(bCount, 1))) { r in
                for row in r {
                    let ar = a + row * bCount, orow = out + row * bCount
                    for j in 0..<bCount { orow[j] = f(ar[j], b[j]) }
                }
            }
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

    /// `out[i] = f(x[i])` in parallel chunks.
    @inline(__always)
    public static func map(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, count: Int,
                           _ f: (Float) -> Float) {
        Parallel.forRanges(count, minPerThread: minPerThread) { r in for i in r { out[i] = f(x[i]) } }
    }

    /// `out[i] = f(x[i], y[i], z[i])` in parallel chunks (fused backward formulas).
    @inline(__always)
    public static func map3(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ z: UnsafePointer<Float>,
                            _ out: UnsafeMutablePointer<Float>, count: Int, _ f: (Float, Float, Float) -> Float) {
        Parallel.forRanges(count, minPerThread: minPerThread) { r in for i in r { out[i] = f(x[i], y[i], z[i]) } }
    }

    /// `acc[i] += f(x[i], y[i])` in parallel chunks (gradient accumulation).
    @inline(__always)
    public static func accumulate(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>,
                                  into acc: UnsafeMutablePointer<Float>, count: Int, _ f: (Float, Float) -> Float) {
        Parallel.forRanges(count, minPerThread: minPerThread) { r in for i in r { acc[i] += f(x[i], y[i]) } }
    }

    // MARK: scalar functions (shared by forward kernels, backward formulas and the references)

    @inline(__always) public static func sigmoid(_ x: Float) -> Float { 1 / (1 + Foundation.exp(-x)) }
    @inline(__always) public static func silu(_ x: Float) -> Float { x / (1 + Foundation.exp(-x)) }
    /// d silu / dx = s (1 + x (1 - s)).
    @inline(__always) public static func siluDerivative(_ x: Float) -> Float {
        let s = sigmoid(x); return s * (1 + x * (1 - s))
    }
    /// PyTorch `softplus` (beta 1, threshold 20: linear above it).
    @inline(__always) public static func softplus(_ x: Float) -> Float { x > 20 ? x : Foundation.log1p(Foundation.exp(x)) }

    /// SwiGLU forward `out = silu(gate) * up`, one pass.
    public static func swiGLU(gate: UnsafePointer<Float>, up: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, count: Int) {
        Parallel.forRanges(count, minPerThread: minPerThread) { r in
            for i in r { let g = gate[i]; out[i] = g / (1 + Foundation.exp(-g)) * up[i] }
        }
    }

    /// SwiGLU backward: `dGate += dy * up * silu'(gate)`, `dUp += dy * silu(gate)` (either may be nil).
    public static func swiGLUBackward(gate: UnsafePointer<Float>, up: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                                      dGate: UnsafeMutablePointer<Float>?, dUp: UnsafeMutablePointer<Float>?, count: Int) {
        Parallel.forRanges(count, minPerThread: minPerThread) { r in
            for i in r {
                let g = gate[i], s = 1 / (1 + Foundation.exp(-g))
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
