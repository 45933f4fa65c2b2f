/// Conversions between fp32 and the two 16-bit float storage formats, over pointers.
///
/// bf16 is the top half of an fp32; fp32 -> bf16 rounds to nearest, ties to even, and keeps NaNs NaN
/// (a plain truncation would round 1.00390625 down, and a rounding add could turn a NaN into inf).
/// f16 uses Swift's `Float16`, which is exact in both directions (IEEE round-to-nearest-even,
/// subnormals, inf, NaN); `f16ToFloatReference` is the bit-level reference the tests compare with.
/// Sources are raw pointers read unaligned: tensors inside mapped files need not be 2-byte aligned.
public enum HalfFloat {
    @inlinable public static func bf16ToFloat(_ h: UInt16) -> Float {
        Float(bitPattern: UInt32(h) << 16)
    }

    @inlinable public static func floatToBF16(_ f: Float) -> UInt16 {
        let bits = f.bitPattern
        if f.isNaN { return UInt16(truncatingIfNeeded: bits >> 16) | 0x0040 }  // quiet NaN, sign kept
        let roundingBias: UInt32 = 0x7FFF + ((bits >> 16) & 1)
        return UInt16(truncatingIfNeeded: (bits &+ roundingBias) >> 16)
    }

    @inlinable public static func f16ToFloat(_ h: UInt16) -> Float {
        Float(Float16(bitPattern: h))
    }

    @inlinable public static func floatToF16(_ f: Float) -> UInt16 {
        Float16(f).bitPattern
    }

    /// Bit-level f16 -> f32 decoding, the slow obvious reference for `f16ToFloat`.
    public static func f16ToFloatReference(_ h: UInt16) -> Float {
        let sign: Float = (h & 0x8000) != 0 ? -1 : 1
        let exponent = Int((h >> 10) & 0x1F)
        let mantissa = Int(h & 0x3FF)
        switch exponent {
        case 0: return sign * Float(mantissa) * Float(sign: .plus, exponent: -24, significand: 1)
        case 31: return mantissa == 0 ? sign * .infinity : .nan
        default: return sign * Float(1024 + mantissa) * Float(sign: .plus, exponent: exponent - 25, significand: 1)
        }
    }

    public static func bf16ToFloat(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count {
            dst[i] = bf16ToFloat(src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
        }
    }

    public static func f16ToFloat(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count {
            dst[i] = f16ToFloat(src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
        }
    }

    public static func floatToBF16(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, count: Int) {
        for i in 0..<count {
            dst.storeBytes(of: floatToBF16(src[i]), toByteOffset: 2 * i, as: UInt16.self)
        }
    }

    public static func floatToF16(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, count: Int) {
        for i in 0..<count {
            dst.storeBytes(of: floatToF16(src[i]), toByteOffset: 2 * i, as: UInt16.self)
        }
    }

    /// Little-endian fp32 from possibly unaligned bytes.
    public static func copyFloats(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count {
            dst[i] = Float(bitPattern: UInt32(littleEndian: src.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
        }
    }
}
