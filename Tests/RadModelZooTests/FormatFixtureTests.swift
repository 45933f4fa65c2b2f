import RadOps
import Foundation
import Testing
import RadModelZoo

/// Checks against files written by the reference libraries (transformers, safetensors, tokenizers);
/// see scripts/fixtures/make_format_fixtures.py.
@Suite struct FormatFixtureTests {
    func json(_ name: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(contentsOf: Repo.fixtures.appendingPathComponent(name)))
    }

    @Test func readsSafetensorsWrittenByThePythonPackage() throws {
        let path = Repo.fixtures.appendingPathComponent("dtypes.safetensors").path
        let f = try SafetensorsFile(path: path)
        #expect(f.metadata == ["format": "pt"])
        let expected = try json("dtypes.json") as! [String: [String: Any]]
        for (name, e) in expected {
            let t = try f.load(name)
            #expect(t.shape == e["shape"] as! [Int], "\(name)")
            #expect(t.toArray() == (e["values"] as! [Double]).map { Float($0) }, "\(name)")
        }
        #expect(f.info("i64")?.dtype == "I64")
        expectError(containing: [path, "'i64'", "I64"]) { _ = try f.load("i64") }
    }

    @Test func readsAGGUFWrittenByGGUFPyAndDequantisesLikeIt() throws {
        let path = Repo.fixtures.appendingPathComponent("gguf_types.gguf").path
        let g = try GGUFFile(path: path)
        #expect(g.version == 3 && g.architecture == "llama")
        let m = g.metadata
        #expect(m["t.u8"] == .uint(200) && m["t.i8"] == .int(-100) && m["t.u16"] == .uint(60000) && m["t.i16"] == .int(-30000))
        #expect(m["t.u32"] == .uint(4_000_000_000) && m["t.i32"] == .int(-2_000_000_000))
        #expect(m["t.f32"] == .float(Double(Float(0.1))) && m["t.f64"] == .float(0.1))
        #expect(m["t.u64"] == .uint(1 << 63 + 5) && m["t.i64"] == .int(-(1 << 62)))
        #expect(m["t.bool"] == .bool(true) && m["t.str"] == .string("héllo wörld"))
        #expect(m["t.arr"] == .array([.int(1), .int(2), .int(3)]))
        #expect(m["t.strs"] == .array([.string("a"), .string("bb"), .string("")]))
        let expected = try json("gguf_types.json") as! [String: [String: Any]]
        #expect(expected.count == 6)
        for (name, e) in expected {
            let t = try g.loadRaw(name)
            #expect(t.shape == e["shape"] as! [Int], "\(name)")
            #expect(t.toArray() == (e["values"] as! [Double]).map { Float($0) }, "\(name)")
        }
        expectError(containing: [path, "'q6_k'", "Q6_K"]) { _ = try g.loadRaw("q6_k") }
    }

    @Test(arguments: ["tiny-llama", "tiny-qwen2"])
    func loadsShardedFoldersSavedByTransformers(_ name: String) throws {
        let dir = Repo.fixtures.appendingPathComponent(name).path
        let w = try openWeights(at: dir)
        let expected = try json("\(name)/expected.json") as! [String: [String: Any]]
        #expect(Set(w.tensorNames) == Set(expected.keys))
        for (tensor, e) in expected {
            let t = try w.load(tensor)
            #expect(t.shape == e["shape"] as! [Int], "\(tensor)")
            #expect(Array(t.toArray().prefix(8)) == (e["head"] as! [Double]).map { Float($0) }, "\(tensor)")
            let sum = t.toArray().reduce(0.0) { $0 + Double($1) }
            #expect(abs(sum - (e["sum"] as! Double)) < 1e-9, "\(tensor)")
            #expect(w.storageType(tensor) == "BF16")
        }
        let c = try TransformerConfig.load(hfConfigAt: "\(dir)/config.json")
        #expect(c.hiddenSize == 16 && c.numLayers == 2 && c.numHeads == 4 && c.numKVHeads == 2 && c.headDim == 4)
        #expect(c.intermediateSize == 24 && c.vocabSize == 40 && c.maxPositionEmbeddings == 64)
        if name == "tiny-llama" {
            #expect(c.family == .llama && c.ropeTheta == 50000 && c.rmsNormEps == 1e-5 && !c.tieWordEmbeddings && !c.attentionBias)
            #expect(c.bosTokenId == 1 && c.eosTokenIds == [2])
        } else {
            #expect(c.family == .qwen2 && c.ropeTheta == 1e6 && c.rmsNormEps == 1e-6 && c.tieWordEmbeddings && c.attentionBias)
            #expect(w.shape("model.layers.1.self_attn.k_proj.bias") == [8])
        }
        // What a teacher builder does: take every expected tensor by its HF name and shape.
        var loader = StrictWeightLoader(w)
        let C = c.hiddenSize, kv = c.numKVHeads * c.headDim
        _ = try loader.take("model.embed_tokens.weight", shape: [c.vocabSize, C])
        _ = try loader.take("model.norm.weight", shape: [C])
        for l in 0..<c.numLayers {
            let p = "model.layers.\(l)."
            _ = try loader.take(p + "self_attn.q_proj.weight", shape: [c.numHeads * c.headDim, C])
            _ = try loader.take(p + "self_attn.k_proj.weight", shape: [kv, C])
            _ = try loader.take(p + "self_attn.v_proj.weight", shape: [kv, C])
            _ = try loader.take(p + "self_attn.o_proj.weight", shape: [C, c.numHeads * c.headDim])
            if c.attentionBias {
                _ = try loader.take(p + "self_attn.q_proj.bias", shape: [c.numHeads * c.headDim])
                _ = try loader.take(p + "self_attn.k_proj.bias", shape: [kv])
                _ = try loader.take(p + "self_attn.v_proj.bias", shape: [kv])
            }
            for m in ["gate_proj", "up_proj"] { _ = try loader.take(p + "mlp.\(m).weight", shape: [c.intermediateSize, C]) }
            _ = try loader.take(p + "mlp.down_proj.weight", shape: [C, c.intermediateSize])
            _ = try loader.take(p + "input_layernorm.weight", shape: [C])
            _ = try loader.take(p + "post_attention_layernorm.weight", shape: [C])
        }
        if !c.tieWordEmbeddings { _ = try loader.take("lm_head.weight", shape: [c.vocabSize, C]) }
        try loader.finish()
    }

    @Test(arguments: ["tiny-llama", "tiny-qwen2"])
    func tokenizerJSONOfAnHFFolderMatchesHuggingFaceTokenizers(_ name: String) throws {
        let dir = Repo.fixtures.appendingPathComponent(name).path
        let tok = try BPETokenizer.load(checkpoint: dir)
        #expect(tok.preTokenizer == (name == "tiny-qwen2" ? .qwen2 : .llama3))
        #expect(tok.normalizeNFC == (name == "tiny-qwen2") && tok.ignoreMerges == (name == "tiny-llama"))
        #expect(tok.eosId == tok.id(of: "<|im_end|>") && tok.bosId == (name == "tiny-qwen2" ? 3 : 1))
        let fixture = try json("\(name)/tokens.json") as! [String: Any]
        let lines = fixture["lines"] as! [String]
        let ids = (fixture["ids"] as! [[Int]]).map { $0.map(Int32.init) }
        #expect(lines.count > 100)
        for (line, ref) in zip(lines, ids) {
            #expect(tok.encode(line) == ref, "\(line.debugDescription)")
        }
        let report = try ModelInspection.report(path: dir)
        #expect(report.contains("format: HF folder, 3 safetensors file(s)") && report.contains("storage types: BF16"))
        #expect(report.contains("tokenizer: byte-level BPE, 420 tokens"))
    }

    @Test(arguments: PreTokenizer.allCases)
    func preTokenizersMatchHuggingFaceTokenizers(_ kind: PreTokenizer) throws {
        let fixture = try json("pretokenizer_splits.json") as! [String: Any]
        let strings = fixture["strings"] as! [String]
        let expected = fixture[kind.rawValue] as! [[String]]
        var failures = 0
        for (text, pieces) in zip(strings, expected) {
            let scalars = Array(text.unicodeScalars)
            let cps = scalars.map(\.value), cls = scalars.map(PreTokenizer.classify)
            var got: [String] = []
            kind.split(cps, cls, count: cps.count) { a, b in
                var v = String.UnicodeScalarView()
                v.append(contentsOf: scalars[a..<b])
                got.append(String(v))
            }
            if got != pieces {
                failures += 1
                if failures <= 5 { Issue.record("\(kind) \(text.debugDescription): got \(got), expected \(pieces)") }
            }
        }
        #expect(failures == 0, "\(failures) of \(strings.count) strings split differently")
    }
}
