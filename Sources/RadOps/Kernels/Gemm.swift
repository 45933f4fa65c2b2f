import CBLAS

/// Row-major single-precision GEMM: `C = alpha * op(A) * op(B) + beta * C`, where op(A) is [m, k] and
/// op(B) is [k, n]. `A` is stored [m, k] (or [k, m] when `transA`), `B` [k, n] (or [n, k] when `transB`).
public enum Gemm {
    @inlinable
    public static func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                             alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                             b: UnsafePointer<Float>, ldb: Int,
                             beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        if m == 0 || n == 0 { return }
        if k == 0 {
            if beta == 0 { for i in 0..<m { (c + i * ldc).update(repeating: 0, count: n) } }
            else if beta != 1 { for i in 0..<m { for j in 0..<n { c[i * ldc + j] *= beta } } }
            return
        }
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Leading dimensions for packed (contiguous) operands.
    @inlinable
    public static func sgemmPacked(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                                   a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                                   beta: Float = 0, c: UnsafeMutablePointer<Float>) {
        sgemm(transA: transA, transB: transB, m: m, n: n, k: k,
              a: a, lda: transA ? m : k, b: b, ldb: transB ? k : n, beta: beta, c: c, ldc: n)
    }

    /// The slow, obvious reference (double accumulation) that tests compare `sgemm` with.
    public static func reference(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                                 a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                                 c: UnsafeMutablePointer<Float>) {
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0
                for p in 0..<k {
                    let av = transA ? a[p * m + i] : a[i * k + p]
                    let bv = transB ? b[j * k + p] : b[p * n + j]
                    s += Double(av) * Double(bv)
                }
                c[i * n + j] = Float(s)
            }
        }
    }
}
