import RadOps
import Foundation
import Testing
import RadModelZoo

@Suite struct GGUFTests {
    func half(_ f: Float) -> [UInt8] { withUnsafeBytes(of: HalfFloat.floatToF16(f).littleEndian) { Array($0) } }

    @Test func readsMetadataOfEveryTypeAndDequantisesBlockFormats() throws {
        let s = Scratch()
        // One block each, with known scales and codes; expected values by the documented formulas.
        let q8: [Int8] = (0..<32).map { Int8($0 * 8 - 128) }
        let q8Block = half(0.5) + q8.map { UInt8(bitPattern: $0) }
        let nibbles: [UInt8] = (0..<16).map { UInt8($0) | UInt8(15 - $0) << 4 }
        let q40Block = half(0.25) + nibbles
        let q41Block = half(0.125) + half(-1.5) + nibbles
        let f16Data = [Float(1), -2, 0.5, 65504].flatMap(half)
        let bf16Data = [Float(1), -2.5, 3, 0].flatMap { f in withUnsafeBytes(of: HalfFloat.floatToBF16(f).littleEndian) { Array($0) } }
        let path = try s.write("t.gguf", GGUFBuilder.file(metadata: [
            ("general.architecture", .string("llama")), ("general.alignment", .u32(64)),
            ("x.i32", .i32(-7)), ("x.f32", .f32(1e-5)), ("x.bool", .bool(true)),
            ("x.list", .strings(["a", "b c"])), ("x.ints", .i32s([3, -4])),
        ], tensors: [
            .init(name: "q8", dims: [32], type: 8, data: q8Block),
            .init(name: "q40", dims: [32], type: 2, data: q40Block),
            .init(name: "q41", dims: [32], type: 3, data: q41Block),
            .init(name: "h", dims: [2, 2], type: 1, data: f16Data),
            .init(name: "b", dims: [4], type: 30, data: bf16Data),
            .init(name: "f", dims: [3, 1], type: 0, data: GGUFBuilder.f32Data([1, 2, 3])),
        ], alignment: 64))
        let g = try GGUFFile(path: path)
        #expect(g.version == 3 && g.alignment == 64 && g.dataStart % 64 == 0)
        #expect(g.metadata["x.i32"] == .int(-7))
        #expect(g.metadata["x.f32"]?.doubleValue == Double(Float(1e-5)))
        #expect(g.metadata["x.bool"] == .bool(true))
        #expect(g.metadata["x.list"] == .array([.string("a"), .string("b c")]))
        #expect(g.metadata["x.ints"] == .array([.int(3), .int(-4)]))
        #expect(try g.loadRaw("q8").toArray() == q8.map { Float($0) * 0.5 })
        let codes = (0..<16).map { Float($0) } + (0..<16).map { Float(15 - $0) }
        #expect(try g.loadRaw("q40").toArray() == codes.map { ($0 - 8) * 0.25 })
        #expect(try g.loadRaw("q41").toArray() == codes.map { $0 * 0.125 + -1.5 })
        let h = try g.loadRaw("h")
        #expect(h.shape == [2, 2] && h.toArray() == [1, -2, 0.5, 65504])
        #expect(try g.loadRaw("b").toArray() == [1, -2.5, 3, 0])
        let f = try g.loadRaw("f")
        #expect(f.shape == [1, 3] && f.toArray() == [1, 2, 3])
    }

    @Test func unpermutesLlamaQKRowsAndMapsNames() throws {
        // 2 heads of head_dim 4: rows 0..7; llama.cpp's permutation puts HF row (h, j, i) at (h, i, j).
        let s = Scratch()
        let rows = 8, cols = 2
        let hf = (0..<(rows * cols)).map { Float($0) }
        var permuted = [Float](repeating: 0, count: hf.count)
        for h in 0..<2 { for j in 0..<2 { for i in 0..<2 {
            let hfRow = h * 4 + j * 2 + i, ggRow = h * 4 + i * 2 + j
            for c in 0..<cols { permuted[ggRow * cols + c] = hf[hfRow * cols + c] }
        } } }
        let path = try s.write("p.gguf", GGUFBuilder.file(metadata: [
            ("general.architecture", .string("llama")), ("llama.attention.head_count", .u32(2)),
            ("llama.attention.head_count_kv", .u32(2)),
        ], tensors: [
            .init(name: "blk.0.attn_q.weight", dims: [cols, rows], type: 0, data: GGUFBuilder.f32Data(permuted)),
            .init(name: "blk.0.attn_v.weight", dims: [cols, rows], type: 0, data: GGUFBuilder.f32Data(permuted)),
            .init(name: "token_embd.weight", dims: [cols, 3], type: 0, data: GGUFBuilder.f32Data([0, 0, 0, 0, 0, 0])),
        ]))
        let w = try GGUFWeights(path: path)
        #expect(w.tensorNames == ["model.embed_tokens.weight", "model.layers.0.self_attn.q_proj.weight", "model.layers.0.self_attn.v_proj.weight"])
        #expect(w.shape("model.embed_tokens.weight") == [3, 2])
        #expect(try w.load("model.layers.0.self_attn.q_proj.weight").toArray() == hf)
        #expect(try w.load("model.layers.0.self_attn.v_proj.weight").toArray() == permuted)
        #expect(GGUFWeights.hfName("blk.12.ffn_down.weight") == "model.layers.12.mlp.down_proj.weight")
        #expect(GGUFWeights.hfName("output.weight") == "lm_head.weight")
        #expect(GGUFWeights.hfName("output_norm.weight") == "model.norm.weight")
    }

    @Test func hostileAndBrokenFilesGiveErrorsNamingTheFile() throws {
        let s = Scratch()
        let bad = try s.write("magic.gguf", Data("GGML....................".utf8))
        expectError(containing: [bad, "bad magic"]) { _ = try GGUFFile(path: bad) }

        let good = GGUFBuilder.file(metadata: [("general.architecture", .string("llama"))],
                                    tensors: [.init(name: "w", dims: [4], type: 0, data: GGUFBuilder.f32Data([1, 2, 3, 4]))])
        let truncated = try s.write("trunc.gguf", good.prefix(30))
        expectError(containing: [truncated, "truncated"]) { _ = try GGUFFile(path: truncated) }
        let noData = try s.write("nodata.gguf", good.prefix(good.count - 24))
        expectError(containing: [noData, "'w'", "beyond the end"]) { _ = try GGUFFile(path: noData) }

        var b = GGUFBuilder()
        b.bytes += Array("GGUF".utf8); b.u32(3); b.u64(1 << 60); b.u64(0)
        let manyTensors = try s.write("many.gguf", Data(b.bytes))
        expectError(containing: [manyTensors, "1152921504606846976 tensors"]) { _ = try GGUFFile(path: manyTensors) }

        b = GGUFBuilder()
        b.bytes += Array("GGUF".utf8); b.u32(3); b.u64(0); b.u64(1); b.u64(1 << 62)
        let longKey = try s.write("key.gguf", Data(b.bytes))
        expectError(containing: [longKey, "string of 4611686018427387904 bytes"]) { _ = try GGUFFile(path: longKey) }

        b = GGUFBuilder()
        b.bytes += Array("GGUF".utf8); b.u32(3); b.u64(0); b.u64(1); b.string("k"); b.u32(9); b.u32(8); b.u64(1 << 59)
        let bigArray = try s.write("array.gguf", Data(b.bytes))
        expectError(containing: [bigArray, "'k'", "array of"]) { _ = try GGUFFile(path: bigArray) }

        b = GGUFBuilder()
        b.bytes += Array("GGUF".utf8); b.u32(1); b.u64(0); b.u64(0)
        let v1 = try s.write("v1.gguf", Data(b.bytes))
        expectError(containing: [v1, "version 1"]) { _ = try GGUFFile(path: v1) }

        let hugeDims = try s.write("dims.gguf", GGUFBuilder.file(metadata: [],
            tensors: [.init(name: "w", dims: [1 << 40, 1 << 40], type: 0, data: [])]))
        expectError(containing: [hugeDims, "'w'", "larger than the file"]) { _ = try GGUFFile(path: hugeDims) }

        let q6k = try s.write("q6k.gguf", GGUFBuilder.file(metadata: [("general.architecture", .string("llama"))],
            tensors: [.init(name: "blk.0.ffn_up.weight", dims: [256], type: 14, data: [UInt8](repeating: 0, count: 210))]))
        let g = try GGUFFile(path: q6k)
        expectError(containing: [q6k, "'blk.0.ffn_up.weight'", "unsupported tensor type Q6_K"]) { _ = try g.loadRaw("blk.0.ffn_up.weight") }
        let gw = try GGUFWeights(file: g)
        expectError(containing: [q6k, "unsupported tensor type Q6_K"]) { _ = try gw.load("model.layers.0.mlp.up_proj.weight") }

        let unknownType = try s.write("type.gguf", GGUFBuilder.file(metadata: [],
            tensors: [.init(name: "w", dims: [4], type: 99, data: [0, 0, 0, 0])]))
        let u = try GGUFFile(path: unknownType)
        expectError(containing: [unknownType, "'w'", "type 99"]) { _ = try u.loadRaw("w") }

        let phi = try s.write("phi.gguf", GGUFBuilder.file(metadata: [("general.architecture", .string("phi3"))],
            tensors: [.init(name: "blk.0.attn_q.weight", dims: [4], type: 0, data: GGUFBuilder.f32Data([1, 2, 3, 4]))]))
        let phiWeights = try GGUFWeights(path: phi)
        #expect(!phiWeights.mapsToHF && phiWeights.tensorNames == ["blk.0.attn_q.weight"])
        expectError(containing: [phi, "general.architecture", "phi3"]) { _ = try TransformerConfig.fromGGUF(phiWeights.gguf) }
    }
}
