import Foundation
import Testing
import RadOps

@Suite struct HalfFloatTests {
    @Test func f16DecodingMatchesTheBitLevelReferenceForAll65536Patterns() {
        for h in 0...UInt16.max {
            let fast = HalfFloat.f16ToFloat(h), ref = HalfFloat.f16ToFloatReference(h)
            if ref.isNaN { #expect(fast.isNaN); continue }
            #expect(fast.bitPattern == ref.bitPattern, "f16 0x\(String(h, radix: 16))")
        }
    }

    @Test func f16EncodingRoundTripsEveryF16AndRoundsTiesToEven() {
        for h in 0...UInt16.max where !HalfFloat.f16ToFloatReference(h).isNaN {
            #expect(HalfFloat.floatToF16(HalfFloat.f16ToFloatReference(h)) == h)
        }
        // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: ties to the even mantissa (1.0).
        #expect(HalfFloat.floatToF16(1 + 0x1p-11) == 0x3C00)
        #expect(HalfFloat.floatToF16(1 + 3 * 0x1p-11) == 0x3C02)
        #expect(HalfFloat.floatToF16(65520) == 0x7C00)  // rounds to inf
        #expect(HalfFloat.floatToF16(0x1p-25) == 0)  // half the smallest subnormal: ties to 0
        #expect(HalfFloat.floatToF16(0x1.8p-25) == 1)
        #expect(HalfFloat.floatToF16(-.infinity) == 0xFC00)
        #expect(HalfFloat.f16ToFloat(HalfFloat.floatToF16(.nan)).isNaN)
    }

    @Test func bf16RoundsToNearestEvenAndKeepsSpecials() {
        #expect(HalfFloat.floatToBF16(1.0) == 0x3F80)
        #expect(HalfFloat.floatToBF16(Float(bitPattern: 0x3F80_8000)) == 0x3F80)  // tie, even stays
        #expect(HalfFloat.floatToBF16(Float(bitPattern: 0x3F81_8000)) == 0x3F82)  // tie, odd rounds up
        #expect(HalfFloat.floatToBF16(Float(bitPattern: 0x3F80_8001)) == 0x3F81)
        #expect(HalfFloat.floatToBF16(Float(bitPattern: 0x7F7F_FFFF)) == 0x7F80)  // max float -> inf
        #expect(HalfFloat.floatToBF16(.infinity) == 0x7F80)
        #expect(HalfFloat.floatToBF16(-0.0) == 0x8000)
        #expect(HalfFloat.floatToBF16(Float(bitPattern: 0x0000_0001)) == 0)  // tiny subnormal
        #expect(HalfFloat.floatToBF16(Float(bitPattern: 0x0001_8000)) == 0x0002)  // subnormal tie to even
        #expect(HalfFloat.bf16ToFloat(HalfFloat.floatToBF16(.nan)).isNaN)
        #expect(HalfFloat.bf16ToFloat(HalfFloat.floatToBF16(Float(bitPattern: 0x7FFF_FFFF))).isNaN)
        for h in stride(from: 0, through: Int(UInt16.max), by: 7) {
            let f = HalfFloat.bf16ToFloat(UInt16(h))
            if !f.isNaN { #expect(HalfFloat.floatToBF16(f) == UInt16(h)) }
        }
    }

    @Test func pointerConversionsReadUnalignedSources() {
        let values: [Float] = [0, -1.5, 3.140625, 65504, 0x1p-24, -.infinity]
        var raw = [UInt8](repeating: 0, count: 1 + 2 * values.count)
        var out = [Float](repeating: 0, count: values.count)
        raw.withUnsafeMutableBytes { r in
            values.withUnsafeBufferPointer { HalfFloat.floatToF16($0.baseAddress!, r.baseAddress! + 1, count: values.count) }
            out.withUnsafeMutableBufferPointer { HalfFloat.f16ToFloat(UnsafeRawPointer(r.baseAddress! + 1), $0.baseAddress!, count: values.count) }
        }
        #expect(out == values)
        raw.withUnsafeMutableBytes { r in
            values.withUnsafeBufferPointer { HalfFloat.floatToBF16($0.baseAddress!, r.baseAddress! + 1, count: values.count) }
            out.withUnsafeMutableBufferPointer { HalfFloat.bf16ToFloat(UnsafeRawPointer(r.baseAddress! + 1), $0.baseAddress!, count: values.count) }
        }
        #expect(out == values.map { HalfFloat.bf16ToFloat(HalfFloat.floatToBF16($0)) })
    }
}
