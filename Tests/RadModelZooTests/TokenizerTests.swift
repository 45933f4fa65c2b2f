import Foundation
import Testing
import RadModelZoo

/// The llama.cpp test vectors: `.inp` holds test strings separated by `\n__ggml_vocab_test__\n`,
/// `.out` a line of space-separated reference ids per string.
func vocabTestCases(_ vocab: String) throws -> [(String, [Int32])] {
    let inp = try String(contentsOfFile: Repo.vocab("\(vocab).inp"), encoding: .utf8)
    let out = try String(contentsOfFile: Repo.vocab("\(vocab).out"), encoding: .utf8)
    var texts = inp.components(separatedBy: "\n__ggml_vocab_test__\n")
    if texts.last?.isEmpty == true { texts.removeLast() }
    let idLines = out.split(separator: "\n", omittingEmptySubsequences: false).map {
        $0.split(separator: " ").compactMap { Int32($0) }
    }
    return zip(texts, idLines.prefix(texts.count)).map { ($0, $1) }
}

@Suite struct TokenizerTests {
    @Test(arguments: ["ggml-vocab-gpt-2.gguf", "ggml-vocab-qwen2.gguf", "ggml-vocab-llama-bpe.gguf"])
    func llamaCppVocabTestVectors(_ vocab: String) throws {
        guard let path = Repo.asset(Repo.vocab(vocab), group: "vocab") else { return }
        let tok = try BPETokenizer.load(gguf: GGUFFile(path: path))
        let cases = try vocabTestCases(vocab)
        #expect(cases.count >= 40)
        var failures = 0
        for (text, ids) in cases {
            let got = tok.encode(text, parseSpecial: false, addBos: false)
            if got != ids {
                failures += 1
                Issue.record("\(vocab): \(text.debugDescription): got \(got), expected \(ids)")
            }
            #expect(tok.decode(got) == text || text.unicodeScalars.contains { $0.value >= 0xD800 && $0.value < 0xE000 })
        }
        #expect(failures == 0)
    }

    @Test func smolLM2MatchesHuggingFaceTokenizersOnRealText() throws {
        guard let path = Repo.asset(Repo.smollm2, group: "teacher") else { return }
        let tok = try BPETokenizer.load(gguf: GGUFFile(path: path))
        #expect(tok.vocabSize == 49152 && tok.mergeCount == 48900)
        #expect(tok.bosId == 1 && tok.eosId == 2 && !tok.addBos && tok.preTokenizer == .smollm)
        #expect(tok.encode("in 2026") == ["in", " ", "2", "0", "2", "6"].map { tok.id(of: ByteLevel.encode(Array($0.utf8))) ?? -1 })
        let data = try Data(contentsOf: Repo.fixtures.appendingPathComponent("smollm2_tokenizer.json"))
        let fixture = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        let lines = fixture["lines"] as! [String]
        let ids = (fixture["ids"] as! [[Int]]).map { $0.map(Int32.init) }
        #expect(lines.count >= 3000)
        var failures = 0
        for (line, ref) in zip(lines, ids) {
            let got = tok.encode(line)
            if got != ref {
                failures += 1
                if failures <= 5 { Issue.record("\(line.debugDescription): got \(got), expected \(ref)") }
            }
            if tok.decode(got) != line {
                failures += 1
                if failures <= 5 { Issue.record("decode(encode(\(line.debugDescription))) differs") }
            }
        }
        #expect(failures == 0)
    }

    @Test func specialTokensAreMatchedBeforePreTokenisation() throws {
        guard let path = Repo.asset(Repo.smollm2, group: "teacher") else { return }
        let tok = try BPETokenizer.load(gguf: GGUFFile(path: path))
        let ids = tok.encode("<|im_start|>user\nHi<|im_end|>")
        #expect(ids.first == 1 && ids.last == 2)
        #expect(tok.decode(ids) == "<|im_start|>user\nHi<|im_end|>")
        #expect(tok.decode(ids, skipSpecial: true) == "user\nHi")
        #expect(!tok.encode("<|im_start|>", parseSpecial: false).contains(1))
    }

    @Test func longWordHeapMergeEqualsThePairScan() throws {
        guard let path = Repo.asset(Repo.smollm2, group: "teacher") else { return }
        let tok = try BPETokenizer.load(gguf: GGUFFile(path: path))
        var rng = SystemRandomNumberGenerator()
        let pieces = ["the", "ing", "=", "==", "ab", "Q", "x9", "é", "東", "aaaa", "/", "+", "tion", "ssss"]
        for trial in 0..<200 {
            var word = ""
            for _ in 0..<Int.random(in: 1...120, using: &rng) { word += pieces.randomElement(using: &rng)! }
            if trial % 10 == 0 { word = String(repeating: "a", count: trial + 3) }
            let syms = Array(word.utf8).map { tok.byteTokens[Int($0)] }
            #expect(BPEMergeHeap.merge(syms, merges: tok.merges) == BPETokenizer.mergeByScan(syms, merges: tok.merges), "\(word)")
        }
        // A 200 KB run without spaces is one pre-token: it must still encode quickly and exactly.
        let blob = String(repeating: "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo", count: 6000)
        let start = DispatchTime.now().uptimeNanoseconds
        let ids = tok.encode(blob)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        #expect(seconds < 2, "\(seconds) s for a 210 KB word")
        #expect(tok.decode(ids) == blob)
    }

    @Test func streamingDecoderHoldsBackPartialCharacters() throws {
        guard let path = Repo.asset(Repo.smollm2, group: "teacher") else { return }
        let tok = try BPETokenizer.load(gguf: GGUFFile(path: path))
        let text = "Zürich 東京 🚀 done"
        // Feed the bytes one byte-token at a time: every multi-byte character is split across tokens.
        let byteIds = Array(text.utf8).map { tok.id(of: String(ByteLevel.byteToScalar[Int($0)]))! }
        var dec = StreamingDecoder(tokenizer: tok)
        var pieces: [String] = []
        for id in byteIds { pieces.append(dec.push(id)) }
        pieces.append(dec.flush())
        #expect(pieces.joined() == text)
        #expect(!pieces.joined().contains("\u{FFFD}"))
        var dec2 = StreamingDecoder(tokenizer: tok)
        var s = ""
        for id in tok.encode(text) { s += dec2.push(id) }
        #expect(s + dec2.flush() == text)
    }

    @Test func preTokenizerScannersMatchTheRegexSemantics() {
        func words(_ kind: PreTokenizer, _ text: String) -> [String] {
            let scalars = Array(text.unicodeScalars)
            let cps = scalars.map(\.value), cls = scalars.map(PreTokenizer.classify)
            var out: [String] = []
            kind.split(cps, cls, count: cps.count) { a, b in
                var v = String.UnicodeScalarView()
                v.append(contentsOf: scalars[a..<b])
                out.append(String(v))
            }
            return out
        }
        #expect(words(.gpt2, "Hello world's  end   \n x") == ["Hello", " world", "'s", " ", " end", "   \n", " x"])
        #expect(words(.gpt2, "a  ") == ["a", "  "])
        #expect(words(.gpt2, "1234 abc!!? ") == ["1234", " abc", "!!?", " "])
        #expect(words(.llama3, "12345 (hello) I'LL\r\n\n  x") == ["123", "45", " (", "hello", ")", " I", "'LL", "\r\n\n", " ", " x"])
        #expect(words(.qwen2, "12 ab") == ["1", "2", " ab"])
        #expect(words(.llama3, "(hello \thi") == ["(hello", " ", "\thi"])
        #expect(words(.llama3, "x ;;\n\ny") == ["x", " ;;\n\n", "y"])
        #expect(words(.smollm, "in 2026.") == ["in", " ", "2", "0", "2", "6", "."])
    }

    @Test func tokenizerJSONLoadsBothMergeFormsAndRejectsUnknownPreTokenizers() throws {
        let s = Scratch()
        func json(merges: String, pre: String) -> Data {
            let vocab = (0..<256).map { b -> String in
                let ch = String(ByteLevel.byteToScalar[b])
                let escaped = ch == "\"" ? "\\\"" : ch == "\\" ? "\\\\" : ch
                return "\"\(escaped)\":\(b)"
            }.joined(separator: ",")
            return Data("""
            {"normalizer":null,"pre_tokenizer":\(pre),
             "added_tokens":[{"id":259,"content":"<s>","special":true}],
             "model":{"type":"BPE","vocab":{\(vocab),"ab":256,"abc":257,"Ġab":258,"<s>":259},"merges":\(merges)}}
            """.utf8)
        }
        let byteLevel = #"{"type":"ByteLevel","add_prefix_space":false,"trim_offsets":true,"use_regex":true}"#
        let a = try s.write("a.json", json(merges: #"["a b","ab c","Ġ ab"]"#, pre: byteLevel))
        let b = try s.write("b.json", json(merges: #"[["a","b"],["ab","c"],["Ġ","ab"]]"#, pre: byteLevel))
        for p in [a, b] {
            let t = try BPETokenizer.load(tokenizerJSON: p, bosToken: "<s>")
            #expect(t.encode("abc ab<s>") == [257, 258, 259])
            #expect(t.bosId == 259)
            #expect(t.decode([257, 258, 259]) == "abc ab<s>")
        }
        let nfcJSON = String(decoding: json(merges: "[]", pre: byteLevel), as: UTF8.self)
            .replacingOccurrences(of: #""normalizer":null"#, with: #""normalizer":{"type":"NFC"}"#)
        let nfc = try BPETokenizer.load(tokenizerJSON: s.write("n.json", Data(nfcJSON.utf8)))
        #expect(nfc.normalizeNFC && nfc.encode("e\u{301}") == nfc.encode("\u{e9}") && nfc.encode("\u{e9}").count == 2)
        let template = #"{"type":"Sequence","processors":[{"type":"ByteLevel"},{"type":"TemplateProcessing","single":[{"SpecialToken":{"id":"<s>","type_id":0}},{"Sequence":{"id":"A","type_id":0}}],"pair":[],"special_tokens":{}}]}"#
        let withBos = String(decoding: json(merges: "[]", pre: byteLevel), as: UTF8.self)
            .replacingOccurrences(of: #""normalizer":null"#, with: #""normalizer":null,"post_processor":\#(template)"#)
        let llama3Style = try BPETokenizer.load(tokenizerJSON: s.write("p.json", Data(withBos.utf8)))
        #expect(llama3Style.addBos && llama3Style.bosId == 259 && llama3Style.encode("a") == [259, 97])
        #expect(try !BPETokenizer.load(tokenizerJSON: a).addBos)
        let bad = try s.write("c.json", json(merges: "[]", pre: #"{"type":"Whitespace"}"#))
        expectError(containing: [bad, "pre_tokenizer", "Whitespace"]) { _ = try BPETokenizer.load(tokenizerJSON: bad) }
        let badMerge = try s.write("d.json", json(merges: #"["a zz"]"#, pre: byteLevel))
        expectError(containing: [badMerge, "merge 0"]) { _ = try BPETokenizer.load(tokenizerJSON: badMerge) }
    }

    @Test func encodingSpeedOnAFewMegabytes() throws {
        guard let path = Repo.asset(Repo.smollm2, group: "teacher") else { return }
        let tok = try BPETokenizer.load(gguf: GGUFFile(path: path))
        let data = try Data(contentsOf: Repo.fixtures.appendingPathComponent("smollm2_tokenizer.json"))
        let lines = (try JSONSerialization.jsonObject(with: data) as! [String: Any])["lines"] as! [String]
        let chunk = lines.joined(separator: "\n")
        let coldStart = DispatchTime.now().uptimeNanoseconds
        let coldIds = tok.encode(chunk)
        let cold = Double(DispatchTime.now().uptimeNanoseconds - coldStart) / 1e9
        print("tokenizer speed, cold cache: \(chunk.utf8.count) bytes, \(coldIds.count) tokens in \(String(format: "%.3f", cold)) s = \(Int(Double(coldIds.count) / cold)) tokens/s")
        // RAD_TOKENIZER_BENCH_TEXT=FILE measures on that file instead of the repeated fixture.
        var text = ""
        if let file = ProcessInfo.processInfo.environment["RAD_TOKENIZER_BENCH_TEXT"] {
            text = try String(contentsOfFile: file, encoding: .utf8)
        }
        while text.utf8.count < 4_000_000 { text += chunk + "\n" }
        let start = DispatchTime.now().uptimeNanoseconds
        let ids = tok.encode(text)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let mb = Double(text.utf8.count) / 1e6
        print("tokenizer speed: \(String(format: "%.1f", mb)) MB, \(ids.count) tokens in \(String(format: "%.2f", seconds)) s = \(Int(Double(ids.count) / seconds)) tokens/s, \(String(format: "%.1f", mb / seconds)) MB/s")
        #expect(ids.count > 500_000)
        // RAD_TOKENIZER_BENCH_IDS=FILE (a JSON list of reference ids of the same text) also checks them.
        if let file = ProcessInfo.processInfo.environment["RAD_TOKENIZER_BENCH_IDS"] {
            let ref = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as! [Int]
            let mine = ids.prefix(ref.count).map(Int.init)
            let firstDiff = zip(mine, ref).enumerated().first { $0.element.0 != $0.element.1 }?.offset
            #expect(mine == ref, "first difference at token \(firstDiff ?? -1) of \(ref.count)")
        }
    }
}
