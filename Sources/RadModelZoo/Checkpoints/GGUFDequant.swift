import RadOps

/// Dequantisation of the ggml block formats rad reads, bit-exact with ggml / gguf-py:
/// - Q8_0: 32 values a block: f16 d, 32 x int8 q; value = d*q.
/// - Q4_0: f16 d, 16 bytes; value j < 16 is the low nibble of byte j, j+16 the high; value = d*(q-8).
/// - Q4_1: f16 d, f16 m, 16 bytes of nibbles as Q4_0; value = d*q + m (two roundings, as numpy).
public enum GGUFDequant {
    public static func dequantize(type: GGMLType, _ src: UnsafeRawPointer, into dst: UnsafeMutablePointer<Float>, count: Int) {
        switch type.id {
        case 0: Parallel.forRanges(count, minPerThread: 1 << 18) { r in
            HalfFloat.copyFloats(src + 4 * r.lowerBound, dst + r.lowerBound, count: r.count) }
        case 1: Parallel.forRanges(count, minPerThread: 1 << 18) { r in
            HalfFloat.f16ToFloat(src + 2 * r.lowerBound, dst + r.lowerBound, count: r.count) }
        case 30: Parallel.forRanges(count, minPerThread: 1 << 18) { r in
            HalfFloat.bf16ToFloat(src + 2 * r.lowerBound, dst + r.lowerBound, count: r.count) }
        case 2, 3, 8:
            let blockBytes = type.blockLayout!.bytes
            Parallel.forRanges(count / 32, minPerThread: 4096) { blocks in
                for b in blocks {
                    let p = src + b * blockBytes
                    let out = dst + b * 32
                    switch type.id {
                    case 8: q8_0Block(p, out)
                    case 2: q4_0Block(p, out)
                    default: q4_1Block(p, out)
                    }
                }
            }
        default:
            preconditionFailure("dequantize: unsupported type \(type) (callers check isDequantizable)")
        }
    }

    @inline(__always) static func half(_ p: UnsafeRawPointer, _ offset: Int) -> Float {
        HalfFloat.f16ToFloat(p.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    @inline(__always) static func q8_0Block(_ p: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = half(p, 0)
        for j in 0..<32 { out[j] = Float(p.load(fromByteOffset: 2 + j, as: Int8.self)) * d }
    }

    @inline(__always) static func q4_0Block(_ p: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = half(p, 0)
        for j in 0..<16 {
            let byte = p.load(fromByteOffset: 2 + j, as: UInt8.self)
            out[j] = Float(Int(byte & 0x0F) - 8) * d
            out[j + 16] = Float(Int(byte >> 4) - 8) * d
        }
    }

    @inline(__always) static func q4_1Block(_ p: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = half(p, 0), m = half(p, 2)
        for j in 0..<16 {
            let byte = p.load(fromByteOffset: 4 + j, as: UInt8.self)
            out[j] = Float(byte & 0x0F) * d + m
            out[j + 16] = Float(byte >> 4) * d + m
        }
    }
}
