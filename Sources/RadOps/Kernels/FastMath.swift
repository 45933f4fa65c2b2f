/// Branch-free fp32 math that the compiler vectorises (libm's `expf` is an opaque call per element,
/// which capped silu/softmax at ~0.5 GB/s; this runs at memory speed).
public enum FastMath {
    /// e^x with ~1 ulp error (Cephes `expf` polynomial, range reduction by round-to-nearest via the
    /// 1.5·2²³ trick). Inputs are clamped to [−87.33, 88]: the result stays finite and normal, which is
    /// what softmax, sigmoid and silu need (e^−87.33 ≈ 1.2e−38 stands in for 0).
    @inline(__always)
    public static func exp(_ x: Float) -> Float {
        let xc = Swift.min(Swift.max(x, -87.33654), 88.0)
        let n = (xc * 1.44269504088896341 + 12582912.0) - 12582912.0
        let r = (xc - n * 0.693359375) - n * -2.12194440e-4
        var p: Float = 1.9875691500e-4
        p = p * r + 1.3981999507e-3
        p = p * r + 8.3334519073e-3
        p = p * r + 4.1665795894e-2
        p = p * r + 1.6666665459e-1
        p = p * r + 5.0000001201e-1
        let er = p * r * r + r + 1
        return er * Float(bitPattern: UInt32(bitPattern: Int32(n) &+ 127) << 23)
    }

    @inline(__always) public static func sigmoid(_ x: Float) -> Float { 1 / (1 + exp(-x)) }
    @inline(__always) public static func silu(_ x: Float) -> Float { x / (1 + exp(-x)) }
}
