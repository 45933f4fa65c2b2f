import Foundation
import Testing
import RadModelZoo
import RadOps

/// Files whose numbers cannot all be true: tensors sharing bytes, vocabularies giving one id two
/// spellings. Each is refused naming the file and both parties, instead of loading whichever won.
@Suite struct HostileInputTests {
    /// A safetensors file: the given header entries, then `dataBytes` zero bytes.
    static func safetensors(_ entries: [String], dataBytes: Int) -> Data {
        let header = Array("{\(entries.joined(separator: ","))}".utf8)
        var b: [UInt8] = []
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { b += $0 }
        return Data(b + header + [UInt8](repeating: 0, count: dataBytes))
    }

    static func f32(_ name: String, _ n: Int, _ begin: Int) -> String {
        #""\#(name)":{"dtype":"F32","shape":[\#(n)],"data_offsets":[\#(begin),\#(begin + 4 * n)]}"#
    }

    @Test func safetensorsWithOverlappingTensorsIsRefusedNamingBoth() throws {
        let s = Scratch()
        // Back to back is fine; a and b sharing bytes 8..<16 is not.
        let good = try s.write("good.safetensors", Self.safetensors([Self.f32("a", 4, 0), Self.f32("b", 4, 16)], dataBytes: 32))
        #expect(try SafetensorsFile(path: good).tensorNames == ["a", "b"])
        let overlap = try s.write("overlap.safetensors", Self.safetensors([Self.f32("a", 4, 0), Self.f32("b", 4, 8)], dataBytes: 24))
        expectError(containing: [overlap, "'a'", "'b'", "[0, 16)", "[8, 24)", "overlap"]) { _ = try SafetensorsFile(path: overlap) }
        // A tensor nested inside a long one overlaps it even when its neighbours do not.
        let nested = try s.write("nested.safetensors", Self.safetensors(
            [Self.f32("big", 8, 0), Self.f32("x", 1, 4), Self.f32("y", 1, 24)], dataBytes: 32))
        expectError(containing: [nested, "'big'", "'x'"]) { _ = try SafetensorsFile(path: nested) }
        // Two names for the very same bytes (an alias) is an overlap too.
        let alias = try s.write("alias.safetensors", Self.safetensors([Self.f32("a", 4, 0), Self.f32("b", 4, 0)], dataBytes: 16))
        expectError(containing: [alias, "'a'", "'b'", "overlap"]) { _ = try SafetensorsFile(path: alias) }
        // Empty tensors hold no bytes and overlap nothing.
        let empty = try s.write("empty.safetensors", Self.safetensors([Self.f32("a", 4, 0), Self.f32("e", 0, 8)], dataBytes: 16))
        #expect(try SafetensorsFile(path: empty).tensors.count == 2)
    }

    /// A GGUF v3 with F32 tensors of 4 values at the given offsets (from the data section's start).
    static func gguf(_ tensors: [(String, UInt64)], dataBytes: Int) -> Data {
        var b = GGUFBuilder()
        b.bytes += Array("GGUF".utf8)
        b.u32(3); b.u64(UInt64(tensors.count)); b.u64(1)
        b.string("general.architecture"); b.value(.string("llama"))
        for (name, offset) in tensors {
            b.string(name); b.u32(1); b.u64(4); b.u32(0); b.u64(offset)
        }
        while b.bytes.count % 32 != 0 { b.bytes.append(0) }
        b.bytes += GGUFBuilder.f32Data((0..<(dataBytes / 4)).map(Float.init))
        return Data(b.bytes)
    }

    @Test func ggufWithOverlappingTensorsIsRefusedNamingBoth() throws {
        let s = Scratch()
        let good = try s.write("good.gguf", Self.gguf([("a", 0), ("b", 32)], dataBytes: 48))
        let loaded = try GGUFFile(path: good).loadRaw("b")
        #expect(loaded.data[0] == 8, "\(loaded.shape) \((0..<loaded.count).map { loaded.data[$0] })")
        let overlap = try s.write("overlap.gguf", Self.gguf([("a", 0), ("b", 8)], dataBytes: 32))
        expectError(containing: [overlap, "'a'", "'b'", "[0, 16)", "[8, 24)", "overlap"]) { _ = try GGUFFile(path: overlap) }
        let alias = try s.write("alias.gguf", Self.gguf([("b", 0), ("a", 0)], dataBytes: 16))
        expectError(containing: [alias, "'a'", "'b'", "overlap"]) { _ = try GGUFFile(path: alias) }
        // The data of the last tensor must end inside the file.
        let short = try s.write("short.gguf", Self.gguf([("a", 0), ("b", 32)], dataBytes: 40))
        expectError(containing: [short, "'b'", "beyond the end"]) { _ = try GGUFFile(path: short) }
    }

    /// A tokenizer.json over the 256 byte-level characters (ids 0..<256), with `extra` vocabulary
    /// entries and `added` tokens.
    static func tokenizerJSON(extra: String, added: String = "") -> Data {
        let vocab = (0..<256).map { b -> String in
            let ch = String(ByteLevel.byteToScalar[b])
            let escaped = ch == "\"" ? "\\\"" : ch == "\\" ? "\\\\" : ch
            return "\"\(escaped)\":\(b)"
        }.joined(separator: ",")
        return Data("""
        {"normalizer":null,"pre_tokenizer":{"type":"ByteLevel","add_prefix_space":false,"trim_offsets":true,"use_regex":true},
         "added_tokens":[\(added)],
         "model":{"type":"BPE","vocab":{\(vocab)\(extra)},"merges":[]}}
        """.utf8)
    }

    @Test func tokenizerJSONWithConflictingIdsIsRefusedNamingTheIdAndBothTokens() throws {
        let s = Scratch()
        // An added token repeating its vocabulary entry (as SmolLM2's do) loads.
        let fine = try s.write("fine.json", Self.tokenizerJSON(extra: #","<s>":256"#,
                                                               added: #"{"id":256,"content":"<s>","special":true}"#))
        #expect(try BPETokenizer.load(tokenizerJSON: fine).encode("a<s>") == [97, 256])
        // Two vocabulary entries with one id.
        let twoSpellings = try s.write("ids.json", Self.tokenizerJSON(extra: #","ab":256,"cd":256"#))
        expectError(containing: [twoSpellings, "token id 256", "'ab'", "'cd'"]) { _ = try BPETokenizer.load(tokenizerJSON: twoSpellings) }
        // An added token taking the id of a different vocabulary entry.
        let takenId = try s.write("taken.json", Self.tokenizerJSON(extra: #","ab":256"#,
                                                                   added: #"{"id":256,"content":"<s>","special":true}"#))
        expectError(containing: [takenId, "token id 256", "'<s>'", "'ab'"]) { _ = try BPETokenizer.load(tokenizerJSON: takenId) }
        // An added token whose spelling the vocabulary gives another id.
        let movedToken = try s.write("moved.json", Self.tokenizerJSON(extra: #","<s>":256"#,
                                                                      added: #"{"id":257,"content":"<s>","special":true}"#))
        expectError(containing: [movedToken, "token '<s>' has two ids, 256 and 257"]) { _ = try BPETokenizer.load(tokenizerJSON: movedToken) }
        // One spelling written twice in the vocabulary object (JSON parsers keep the last silently),
        // also when one of them is escaped.
        let twice = try s.write("twice.json", Self.tokenizerJSON(extra: #","ab":256,"cd":257,"ab":258"#))
        expectError(containing: [twice, "model.vocab", "token 'ab' has two ids, 256 and 258"]) { _ = try BPETokenizer.load(tokenizerJSON: twice) }
        let escaped = try s.write("escaped.json", Self.tokenizerJSON(extra: #","ab":256,"\u0061b":257"#))
        expectError(containing: [escaped, "token 'ab' has two ids, 256 and 257"]) { _ = try BPETokenizer.load(tokenizerJSON: escaped) }
        let pair = try s.write("pair.json", Self.tokenizerJSON(extra: #","😀":256,"xy":257,"\ud83d\ude00":258"#))
        expectError(containing: [pair, "token '😀' has two ids, 256 and 258"]) { _ = try BPETokenizer.load(tokenizerJSON: pair) }
        // Keys repeated outside model.vocab are not the vocabulary's business.
        let elsewhere = String(decoding: Self.tokenizerJSON(extra: #","zz":256"#), as: UTF8.self)
            .replacingOccurrences(of: #""model":{"#, with: #""model":{"dropout":null,"dropout":null,"#)
        #expect(try BPETokenizer.load(tokenizerJSON: s.write("elsewhere.json", Data(elsewhere.utf8))).vocabSize == 257)
        // Ids with a gap below an added token are allowed (Qwen2's added tokens sit past the vocabulary).
        let gap = try s.write("gap.json", Self.tokenizerJSON(extra: "", added: #"{"id":300,"content":"<a>","special":true}"#))
        #expect(try BPETokenizer.load(tokenizerJSON: gap).encode("a<a>") == [97, 300])
        // Two added tokens with one id.
        let twoAdded = try s.write("added.json", Self.tokenizerJSON(extra: "",
            added: #"{"id":300,"content":"<a>","special":true},{"id":300,"content":"<b>","special":true}"#))
        expectError(containing: [twoAdded, "token id 300", "'<a>'", "'<b>'"]) { _ = try BPETokenizer.load(tokenizerJSON: twoAdded) }
    }

    @Test func ggufVocabularyWithARepeatedTokenIsRefused() throws {
        let s = Scratch()
        func file(_ tokens: [String]) -> Data {
            GGUFBuilder.file(metadata: [("tokenizer.ggml.model", .string("gpt2")), ("tokenizer.ggml.tokens", .strings(tokens))],
                             tensors: [])
        }
        let fine = try s.write("fine.gguf", file(["a", "b", "ab"]))
        #expect(try BPETokenizer.load(gguf: GGUFFile(path: fine)).vocabSize == 3)
        let repeated = try s.write("repeated.gguf", file(["a", "b", "a"]))
        expectError(containing: [repeated, "tokenizer.ggml.tokens", "token 'a' has two ids, 0 and 2"]) {
            _ = try BPETokenizer.load(gguf: GGUFFile(path: repeated))
        }
    }
}
