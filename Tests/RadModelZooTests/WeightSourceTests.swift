import RadOps
import Foundation
import Testing
import RadModelZoo

@Suite struct WeightSourceTests {
    @Test func strictLoaderReportsMissingMismatchedAndUnusedTensors() throws {
        let s = Scratch()
        let path = s.path("model.safetensors")
        try SafetensorsWriter.write([
            .init("model.norm.weight", Tensor(shape: [4], values: [1, 2, 3, 4]), dtype: .bf16),
            .init("lm_head.weight", Tensor(zeros: [3, 4])),
            .init("model.rotary_emb.inv_freq", Tensor(zeros: [2])),
        ], to: path)
        let src = try openWeights(at: s.url.path)
        #expect(src is HFFolderWeights)
        var loader = StrictWeightLoader(src)
        #expect(try loader.take("model.norm.weight", shape: [4]).toArray() == [1, 2, 3, 4])
        expectError(containing: [s.url.path, "missing tensor 'model.embed_tokens.weight'"]) {
            _ = try loader.take("model.embed_tokens.weight", shape: [3, 4])
        }
        expectError(containing: ["'lm_head.weight'", "[3, 4]", "[4, 3]"]) { _ = try loader.take("lm_head.weight", shape: [4, 3]) }
        expectError(containing: ["2 tensor(s) not used", "lm_head.weight", "model.rotary_emb.inv_freq"]) { try loader.finish() }
        try loader.finish(allowUnused: ["lm_head.weight", "*.inv_freq"])
        #expect(try loader.takeIfPresent("nope", shape: [1]) == nil)
    }

    @Test func shardedFoldersFollowTheIndex() throws {
        let s = Scratch()
        try SafetensorsWriter.write([.init("a", Tensor(shape: [2], values: [1, 2]))], to: s.path("model-00001-of-00002.safetensors"))
        try SafetensorsWriter.write([.init("b", Tensor(shape: [1], values: [3]), dtype: .f16)], to: s.path("model-00002-of-00002.safetensors"))
        let index = #"{"metadata":{},"weight_map":{"a":"model-00001-of-00002.safetensors","b":"model-00002-of-00002.safetensors"}}"#
        _ = try s.write("model.safetensors.index.json", Data(index.utf8))
        let w = try HFFolderWeights(directory: s.url.path)
        #expect(w.tensorNames == ["a", "b"] && w.files.count == 2)
        #expect(try w.load("b").toArray() == [3] && w.storageType("b") == "F16")

        let bad = #"{"weight_map":{"a":"model-00001-of-00002.safetensors","c":"model-00001-of-00002.safetensors"}}"#
        _ = try s.write("model.safetensors.index.json", Data(bad.utf8))
        expectError(containing: ["'c'", "not in the shard"]) { _ = try HFFolderWeights(directory: s.url.path) }
        let empty = Scratch()
        expectError(containing: [empty.url.path, "no model.safetensors"]) { _ = try openWeights(at: empty.url.path) }
    }

    @Test func smolLM2GGUFMatchesTransformersDequantisation() throws {
        guard let path = Repo.asset(Repo.smollm2, group: "teacher") else { return }
        let w = try GGUFWeights(path: path)
        #expect(w.tensorNames.count == 272)
        #expect(w.tensorNames.allSatisfy { $0.hasPrefix("model.") })
        let params = w.tensorNames.reduce(0) { $0 + w.shape($1)!.reduce(1, *) }
        #expect(params == 134_515_008)
        let data = try Data(contentsOf: Repo.fixtures.appendingPathComponent("smollm2_tensors.json"))
        let refs = try JSONSerialization.jsonObject(with: data) as! [[String: Any]]
        #expect(refs.count >= 6)
        for ref in refs {
            let name = ref["name"] as! String
            let t = try w.load(name)
            #expect(t.shape == (ref["shape"] as! [Int]), "\(name)")
            let values = t.toArray()
            #expect(Array(values.prefix(48)) == (ref["head"] as! [Double]).map { Float($0) }, "\(name) head")
            let row1 = (ref["row1"] as! [Double]).map { Float($0) }
            if !row1.isEmpty {
                #expect(Array(values[t.lastDim..<(t.lastDim + row1.count)]) == row1, "\(name) row 1")
            }
            let sum = values.reduce(0.0) { $0 + Double($1) }
            let sumsq = values.reduce(0.0) { $0 + Double($1) * Double($1) }
            #expect(abs(sum - (ref["sum"] as! Double)) <= 1e-9 * max(1, sumsq), "\(name) sum \(sum)")
            #expect(abs(sumsq - (ref["sumsq"] as! Double)) <= 1e-9 * sumsq, "\(name) sumsq \(sumsq)")
        }
        let start = DispatchTime.now().uptimeNanoseconds
        var loaded = 0
        for name in w.tensorNames { loaded += try w.load(name).count }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        print("GGUF load: \(loaded) parameters dequantised to fp32 in \(String(format: "%.2f", seconds)) s")
        #expect(loaded == 134_515_008)
        var loader = StrictWeightLoader(w)
        _ = try loader.take("model.layers.0.self_attn.k_proj.weight", shape: [192, 576])
        expectError(containing: [path, "not used"]) { try loader.finish() }
    }

    @Test func inspectReportsTheSmolLM2Checkpoint() throws {
        guard let path = Repo.asset(Repo.smollm2, group: "teacher") else { return }
        let report = try ModelInspection.report(path: path)
        for part in ["format: GGUF v3", "architecture: llama", "hidden 576", "layers 30", "heads 9", "kv heads 3",
                     "tensors: 272", "parameters: 134,515,008", "Q4_1 210", "Q8_0 1", "F32 61",
                     "model.embed_tokens.weight [49152, 576] Q8_0", "49152 tokens", "48900 merges", "pre-tokenizer smollm",
                     "bos 1 <|im_start|>", "eos 2 <|im_end|>"] {
            #expect(report.contains(part), "missing '\(part)' in\n\(report)")
        }
        expectError(containing: ["/nonexistent", "no such file"]) { _ = try ModelInspection.report(path: "/nonexistent") }
    }
}
