import Foundation

// MARK: - HF tokenizer.json

extension BPETokenizer {
    /// Loads an HF `tokenizer.json` of a byte-level BPE model. Pre-tokenisers are recognised by
    /// structure and exact regex; anything else is rejected naming the key, rather than silently
    /// tokenising differently from the model's training.
    ///
    /// `addBos` nil: BOS is added when the `post_processor` is a TemplateProcessing (alone or in a
    /// Sequence) whose single-sequence template starts with a special token, as Llama 3's does;
    /// that token is then the BOS unless `bosToken` names one.
    public static func load(tokenizerJSON path: String, bosToken: String? = nil, eosToken: String? = nil,
                            addBos: Bool? = nil) throws -> BPETokenizer {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TokenizerError(origin: path, "cannot read the file")
        }
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw TokenizerError(origin: path, "not a JSON object")
        }
        func fail(_ key: String, _ msg: String) -> TokenizerError { TokenizerError(origin: path, "'\(key)': \(msg)") }
        guard let model = root["model"] as? [String: Any] else { throw fail("model", "missing") }
        guard (model["type"] as? String ?? "BPE") == "BPE" else { throw fail("model.type", "'\(model["type"]!)' is not supported (BPE)") }
        for key in ["dropout", "continuing_subword_prefix", "end_of_word_suffix"] {
            if let v = model[key], !(v is NSNull), !((v as? String)?.isEmpty ?? false) {
                throw fail("model.\(key)", "\(v) is not supported")
            }
        }
        if let fb = model["byte_fallback"] as? Bool, fb { throw fail("model.byte_fallback", "byte fallback is not supported") }
        guard let vocabJSON = model["vocab"] as? [String: Any] else { throw fail("model.vocab", "missing or not an object") }
        if let repeated = RepeatedJSONKey.find(in: data, at: ["model", "vocab"]) {
            throw fail("model.vocab", "token '\(repeated.key)' has two ids, \(repeated.first) and \(repeated.second)")
        }
        var vocab: [String: Int32] = [:]
        vocab.reserveCapacity(vocabJSON.count)
        for (k, v) in vocabJSON {
            guard let n = jsonInteger(v), n >= 0, n < 10_000_000 else { throw fail("model.vocab", "id of '\(k)' is not a valid id") }
            vocab[k] = Int32(n)
        }
        var merges: [(String, String)] = []
        if let list = model["merges"] as? [Any] {
            merges.reserveCapacity(list.count)
            for (i, m) in list.enumerated() {
                if let s = m as? String {
                    let parts = s.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
                    guard parts.count == 2 else { throw fail("model.merges", "entry \(i) '\(s)' is not 'a b'") }
                    merges.append((String(parts[0]), String(parts[1])))
                } else if let p = m as? [String], p.count == 2 {
                    merges.append((p[0], p[1]))
                } else {
                    throw fail("model.merges", "entry \(i) is neither 'a b' nor [a, b]")
                }
            }
        }
        var added: [AddedToken] = []
        for (i, t) in (root["added_tokens"] as? [[String: Any]] ?? []).enumerated() {
            guard let content = t["content"] as? String, let id = t["id"].flatMap(jsonInteger), id >= 0, id < 10_000_000 else {
                throw fail("added_tokens", "entry \(i) lacks content or id")
            }
            added.append(AddedToken(content: content, id: Int32(id), special: t["special"] as? Bool ?? false))
        }
        var nfc = false
        if let norm = root["normalizer"], !(norm is NSNull) {
            guard let n = norm as? [String: Any], n["type"] as? String == "NFC" else {
                throw fail("normalizer", "only NFC (or none) is supported")
            }
            nfc = true
        }
        let pre = try preTokenizer(from: root["pre_tokenizer"], fail: fail)
        let ignoreMerges = model["ignore_merges"] as? Bool ?? false
        func lookup(_ s: String?) -> Int32? { s.flatMap { s in added.first { $0.content == s }?.id ?? vocab[s] } }
        let templateBos = templateLeadingSpecialToken(root["post_processor"])
        return try BPETokenizer(origin: path, vocab: vocab, merges: merges, addedTokens: added, preTokenizer: pre,
                                normalizeNFC: nfc, ignoreMerges: ignoreMerges,
                                bosId: lookup(bosToken ?? templateBos), eosId: lookup(eosToken),
                                addBos: addBos ?? (templateBos != nil))
    }

    /// The special token a TemplateProcessing post-processor puts before a single sequence, if any.
    static func templateLeadingSpecialToken(_ value: Any?) -> String? {
        guard let p = value as? [String: Any] else { return nil }
        if p["type"] as? String == "Sequence" {
            return (p["processors"] as? [Any] ?? []).lazy.compactMap { templateLeadingSpecialToken($0) }.first
        }
        guard p["type"] as? String == "TemplateProcessing", let single = p["single"] as? [[String: Any]],
              let first = single.first, let special = first["SpecialToken"] as? [String: Any] else { return nil }
        return special["id"] as? String
    }

    static func preTokenizer(from value: Any?, fail: (String, String) -> TokenizerError) throws -> PreTokenizer {
        let key = "pre_tokenizer"
        guard let p = value as? [String: Any], let type = p["type"] as? String else {
            throw fail(key, "missing (a byte-level BPE needs one)")
        }
        func byteLevel(_ d: [String: Any], useRegex expected: Bool) throws {
            guard d["type"] as? String == "ByteLevel" else { throw fail(key, "expected ByteLevel, found \(d["type"] ?? "?")") }
            if d["add_prefix_space"] as? Bool ?? false { throw fail("\(key).add_prefix_space", "true is not supported") }
            if (d["use_regex"] as? Bool ?? true) != expected { throw fail("\(key).use_regex", "must be \(expected) here") }
        }
        if type == "ByteLevel" {
            try byteLevel(p, useRegex: true)
            return .gpt2
        }
        guard type == "Sequence", let steps = p["pretokenizers"] as? [[String: Any]], steps.count == 2 else {
            throw fail(key, "unsupported pre-tokenizer \(type)")
        }
        let first = steps[0]
        if first["type"] as? String == "Digits" {
            guard first["individual_digits"] as? Bool == true else { throw fail("\(key).Digits", "only individual_digits is supported") }
            try byteLevel(steps[1], useRegex: true)
            return .smollm
        }
        guard first["type"] as? String == "Split", let pattern = (first["pattern"] as? [String: Any])?["Regex"] as? String else {
            throw fail(key, "unsupported pre-tokenizer sequence")
        }
        guard (first["behavior"] as? String ?? "Isolated") == "Isolated", !(first["invert"] as? Bool ?? false) else {
            throw fail("\(key).Split", "only behavior Isolated without invert is supported")
        }
        try byteLevel(steps[1], useRegex: false)
        switch pattern {
        case PreTokenizer.qwen2Pattern: return .qwen2
        case PreTokenizer.llama3Pattern: return .llama3
        case PreTokenizer.gpt2Pattern: return .gpt2
        default: throw fail("\(key).Split.pattern", "unsupported regex \(pattern)")
        }
    }
}

// MARK: - GGUF

extension BPETokenizer {
    /// The tokenizer stored in a GGUF (`tokenizer.ggml.*`); only `gpt2` (byte-level BPE) models.
    public static func load(gguf file: GGUFFile) throws -> BPETokenizer {
        let m = file.metadata
        func fail(_ key: String, _ msg: String) -> TokenizerError { TokenizerError(origin: file.path, "'\(key)': \(msg)") }
        guard let model = m["tokenizer.ggml.model"]?.stringValue else { throw fail("tokenizer.ggml.model", "missing") }
        guard model == "gpt2" else { throw fail("tokenizer.ggml.model", "'\(model)' is not supported (gpt2 byte-level BPE)") }
        guard let tokens = m["tokenizer.ggml.tokens"]?.arrayValue else { throw fail("tokenizer.ggml.tokens", "missing") }
        let types = m["tokenizer.ggml.token_type"]?.arrayValue
        if let types, types.count != tokens.count {
            throw fail("tokenizer.ggml.token_type", "\(types.count) entries for \(tokens.count) tokens")
        }
        let preName = m["tokenizer.ggml.pre"]?.stringValue ?? "default"
        let pre: PreTokenizer
        switch preName {
        case "gpt2", "gpt-2", "default": pre = .gpt2
        case "qwen2": pre = .qwen2
        case "smollm": pre = .smollm
        case "llama-bpe", "llama3": pre = .llama3
        default: throw fail("tokenizer.ggml.pre", "'\(preName)' is not supported (gpt2, qwen2, smollm, llama-bpe)")
        }
        var vocab: [String: Int32] = [:]
        vocab.reserveCapacity(tokens.count)
        var added: [AddedToken] = []
        for (i, t) in tokens.enumerated() {
            guard let s = t.stringValue else { throw fail("tokenizer.ggml.tokens", "entry \(i) is not a string") }
            if let first = vocab.updateValue(Int32(i), forKey: s) {
                throw fail("tokenizer.ggml.tokens", "token '\(s)' has two ids, \(first) and \(i)")
            }
            // 3 = control (special), 4 = user-defined: matched in text before pre-tokenisation.
            let type = types?[i].intValue ?? 1
            if type == 3 || type == 4 { added.append(AddedToken(content: s, id: Int32(i), special: type == 3)) }
        }
        var merges: [(String, String)] = []
        for (i, v) in (m["tokenizer.ggml.merges"]?.arrayValue ?? []).enumerated() {
            guard let s = v.stringValue else { throw fail("tokenizer.ggml.merges", "entry \(i) is not a string") }
            let parts = s.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2 else { throw fail("tokenizer.ggml.merges", "entry \(i) '\(s)' is not 'a b'") }
            merges.append((String(parts[0]), String(parts[1])))
        }
        func tokenId(_ key: String) throws -> Int32? {
            guard let v = m[key] else { return nil }
            guard let n = v.intValue, n >= 0, n < tokens.count else { throw fail(key, "not a token id") }
            return Int32(n)
        }
        return try BPETokenizer(origin: file.path, vocab: vocab, merges: merges, addedTokens: added, preTokenizer: pre,
                                ignoreMerges: pre == .llama3,
                                bosId: tokenId("tokenizer.ggml.bos_token_id"), eosId: tokenId("tokenizer.ggml.eos_token_id"),
                                addBos: m["tokenizer.ggml.add_bos_token"]?.boolValue ?? false)
    }
}

// MARK: - Any checkpoint

extension BPETokenizer {
    /// The tokenizer of a checkpoint: the one inside a `.gguf` file, or an HF folder's
    /// `tokenizer.json` with BOS/EOS and `add_bos_token` from `tokenizer_config.json` (falling back
    /// to the ids of `config.json`).
    public static func load(checkpoint path: String) throws -> BPETokenizer {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw TokenizerError(origin: path, "no such file or directory")
        }
        if !isDir.boolValue {
            guard try isGGUF(path: path) else { throw TokenizerError(origin: path, "not a GGUF file or an HF folder") }
            return try load(gguf: GGUFFile(path: path))
        }
        let dir = URL(fileURLWithPath: path)
        let tokPath = dir.appendingPathComponent("tokenizer.json").path
        guard FileManager.default.fileExists(atPath: tokPath) else { throw TokenizerError(origin: path, "no tokenizer.json") }
        func object(_ name: String) -> [String: Any] {
            guard let data = FileManager.default.contents(atPath: dir.appendingPathComponent(name).path) else { return [:] }
            return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        }
        let tc = object("tokenizer_config.json")
        // bos_token / eos_token are a string or an AddedToken object {"content": ...}.
        func tokenText(_ v: Any?) -> String? { (v as? String) ?? ((v as? [String: Any])?["content"] as? String) }
        let tok = try load(tokenizerJSON: tokPath, bosToken: tokenText(tc["bos_token"]), eosToken: tokenText(tc["eos_token"]),
                           addBos: tc["add_bos_token"] as? Bool)
        if tok.bosId != nil && tok.eosId != nil { return tok }
        // Not yet shared with anyone: completing the ids here is safe.
        let config = object("config.json")
        func id(_ v: Any?) -> Int32? {
            let n = v.flatMap(jsonInteger) ?? ((v as? [Any])?.first).flatMap(jsonInteger)
            return n.flatMap { $0 >= 0 && $0 < tok.vocabSize ? Int32($0) : nil }
        }
        tok.bosId = tok.bosId ?? id(config["bos_token_id"])
        tok.eosId = tok.eosId ?? id(config["eos_token_id"])
        return tok
    }
}
