import Foundation
import Testing
import RadModelZoo
import RadOps

/// Inputs that crashed a reader under the fuzz harness (Fuzz/); the same bytes are seeds in
/// Fuzz/Corpus. Each must now be refused with the reader's ordinary error.
@Suite struct FuzzRegressionTests {
    /// A GGUF v3 without metadata holding one F32 tensor `t` with the given dims and no data.
    static func gguf(dims: [UInt64]) -> Data {
        var b = GGUFBuilder()
        b.bytes += Array("GGUF".utf8)
        b.u32(3); b.u64(1); b.u64(0)
        b.string("t"); b.u32(UInt32(dims.count)); dims.forEach { b.u64($0) }; b.u32(0); b.u64(0)
        while b.bytes.count % 32 != 0 { b.bytes.append(0) }
        return Data(b.bytes)
    }

    /// A zero dimension made the element count 0, so the size check passed any other dimension:
    /// one above Int.max trapped converting it to Int (Fuzz/Corpus/gguf/regression-zero-dim-beside-huge-dim.gguf).
    @Test func ggufZeroDimensionBesideOneAboveIntMaxIsRefused() throws {
        let s = Scratch()
        let path = try s.write("huge.gguf", Self.gguf(dims: [0, UInt64.max]))
        expectError(containing: [path, "'t'", "larger than the file could hold"]) { _ = try GGUFFile(path: path) }
    }

    /// Dims [0, 2^40, 2^40] passed too; loading made the row-major shape [2^40, 2^40, 0], whose
    /// element count overflows before it reaches the zero
    /// (Fuzz/Corpus/gguf/regression-zero-dim-hides-overflow.gguf).
    @Test func ggufZeroDimensionHidingAnOverflowingShapeIsRefused() throws {
        let s = Scratch()
        let path = try s.write("hidden.gguf", Self.gguf(dims: [0, 1 << 40, 1 << 40]))
        expectError(containing: [path, "'t'", "larger than the file could hold"]) { _ = try GGUFFile(path: path) }
    }

    /// Empty tensors with sensible dimensions still load (as zero elements).
    @Test func ggufEmptyTensorWithSmallDimensionsStillLoads() throws {
        let s = Scratch()
        let path = try s.write("empty.gguf", Self.gguf(dims: [0, 3]))
        let file = try GGUFFile(path: path)
        #expect(file.tensorInfos.first?.dims == [0, 3])
        #expect(try file.loadRaw("t").shape == [3, 0])
    }
}
