import Foundation

/// Writes a `BPETokenizer` as HF `tokenizer.json` + `tokenizer_config.json`, so an exported folder
/// carries its tokenizer even when the teacher came from a GGUF file. What it writes is exactly what
/// `BPETokenizer.load(tokenizerJSON:)` recognises, and HF `tokenizers` reads it too.
public enum HFTokenizerWriter {
    public static func tokenizerJSON(_ t: BPETokenizer) throws -> Data {
        var vocab: [String: Int] = [:]
        let addedIDs = Set(t.addedTokens.map(\.id))
        for (id, s) in t.tokenStrings.enumerated() where !addedIDs.contains(Int32(id)) { vocab[s] = id }
        let ranked = t.merges.sorted { $0.value.rank < $1.value.rank }
        let merges: [[String]] = ranked.map { key, _ in
            [t.tokenStrings[Int(key >> 32)], t.tokenStrings[Int(key & 0xFFFF_FFFF)]]
        }
        let byteLevel: [String: Any] = ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true]
        let pre: [String: Any]
        switch t.preTokenizer {
        case .gpt2: pre = byteLevel
        case .smollm:
            pre = ["type": "Sequence", "pretokenizers": [["type": "Digits", "individual_digits": true], byteLevel]]
        case .qwen2, .llama3:
            let pattern = t.preTokenizer == .qwen2 ? PreTokenizer.qwen2Pattern : PreTokenizer.llama3Pattern
            pre = ["type": "Sequence", "pretokenizers": [
                ["type": "Split", "pattern": ["Regex": pattern], "behavior": "Isolated", "invert": false],
                ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": false]]]
        }
        let root: [String: Any] = [
            "version": "1.0",
            "truncation": NSNull(), "padding": NSNull(),
            "added_tokens": t.addedTokens.map { a in
                ["id": Int(a.id), "content": a.content, "single_word": false, "lstrip": false, "rstrip": false,
                 "normalized": false, "special": a.special] as [String: Any]
            },
            "normalizer": t.normalizeNFC ? ["type": "NFC"] as Any : NSNull(),
            "pre_tokenizer": pre,
            "post_processor": ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": false],
            "decoder": ["type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true],
            "model": ["type": "BPE", "dropout": NSNull(), "unk_token": NSNull(), "continuing_subword_prefix": NSNull(),
                      "end_of_word_suffix": NSNull(), "fuse_unk": false, "byte_fallback": false,
                      "ignore_merges": t.ignoreMerges, "vocab": vocab, "merges": merges] as [String: Any],
        ]
        return try JSONSerialization.data(withJSONObject: root, options: [.sortedKeys])
    }

    public static func tokenizerConfigJSON(_ t: BPETokenizer) throws -> Data {
        var root: [String: Any] = ["tokenizer_class": "PreTrainedTokenizerFast", "add_bos_token": t.addBos,
                                   "clean_up_tokenization_spaces": false]
        if let b = t.bosId { root["bos_token"] = t.tokenStrings[Int(b)] }
        if let e = t.eosId { root["eos_token"] = t.tokenStrings[Int(e)] }
        return try JSONSerialization.data(withJSONObject: root, options: [.prettyPrinted, .sortedKeys])
    }

    /// BOS / EOS token strings and add_bos from a `tokenizer_config.json`, if present.
    public static func specialTokens(tokenizerConfigAt path: String) -> (bos: String?, eos: String?, addBos: Bool) {
        guard let data = FileManager.default.contents(atPath: path),
              let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else { return (nil, nil, false) }
        func token(_ v: Any?) -> String? { (v as? String) ?? ((v as? [String: Any])?["content"] as? String) }
        return (token(root["bos_token"]), token(root["eos_token"]), root["add_bos_token"] as? Bool ?? false)
    }
}
