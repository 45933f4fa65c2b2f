import Foundation

/// A configuration problem, naming the source and the key.
public struct ConfigError: Error, CustomStringConvertible, Equatable {
    public var origin: String
    public var key: String
    public var message: String
    public init(origin: String, key: String, _ message: String) {
        self.origin = origin
        self.key = key
        self.message = message
    }
    public var description: String { "\(origin): '\(key)': \(message)" }
}

/// The shape and options of a llama / qwen2 decoder, read from an HF `config.json` or from GGUF
/// metadata. Everything a teacher model needs to be built; options rad does not implement (RoPE
/// scaling, sliding windows, MLP bias, other activations) are rejected with the key named.
public struct TransformerConfig: Codable, Equatable, Hashable, Sendable {
    public enum Family: String, Codable, Sendable { case llama, qwen2 }

    public var family: Family
    public var hiddenSize: Int
    public var numLayers: Int
    public var intermediateSize: Int
    public var numHeads: Int
    public var numKVHeads: Int
    public var headDim: Int
    public var vocabSize: Int
    public var ropeTheta: Double
    public var rmsNormEps: Double
    public var tieWordEmbeddings: Bool
    /// q/k/v projections carry a bias (qwen2 always; llama when `attention_bias`). o_proj never does.
    public var attentionBias: Bool
    public var maxPositionEmbeddings: Int
    public var bosTokenId: Int?
    public var eosTokenIds: [Int]

    public init(family: Family, hiddenSize: Int, numLayers: Int, intermediateSize: Int, numHeads: Int,
                numKVHeads: Int, headDim: Int? = nil, vocabSize: Int, ropeTheta: Double, rmsNormEps: Double,
                tieWordEmbeddings: Bool, attentionBias: Bool, maxPositionEmbeddings: Int,
                bosTokenId: Int? = nil, eosTokenIds: [Int] = []) {
        self.family = family
        self.hiddenSize = hiddenSize
        self.numLayers = numLayers
        self.intermediateSize = intermediateSize
        self.numHeads = numHeads
        self.numKVHeads = numKVHeads
        self.headDim = headDim ?? (numHeads > 0 ? hiddenSize / numHeads : 0)
        self.vocabSize = vocabSize
        self.ropeTheta = ropeTheta
        self.rmsNormEps = rmsNormEps
        self.tieWordEmbeddings = tieWordEmbeddings
        self.attentionBias = attentionBias
        self.maxPositionEmbeddings = maxPositionEmbeddings
        self.bosTokenId = bosTokenId
        self.eosTokenIds = eosTokenIds
    }

    /// Checks the numbers fit together (heads divide, positive sizes).
    public func validate(origin: String) throws {
        func need(_ ok: Bool, _ key: String, _ msg: String) throws {
            if !ok { throw ConfigError(origin: origin, key: key, msg) }
        }
        try need(hiddenSize > 0, "hidden_size", "must be positive")
        try need(numLayers > 0, "num_hidden_layers", "must be positive")
        try need(intermediateSize > 0, "intermediate_size", "must be positive")
        try need(numHeads > 0, "num_attention_heads", "must be positive")
        try need(numKVHeads > 0 && numHeads % numKVHeads == 0, "num_key_value_heads",
                 "\(numKVHeads) must be positive and divide num_attention_heads \(numHeads)")
        try need(headDim > 0 && headDim % 2 == 0, "head_dim", "\(headDim) must be positive and even (RoPE)")
        try need(vocabSize > 0, "vocab_size", "must be positive")
        try need(ropeTheta > 0, "rope_theta", "must be positive")
        try need(rmsNormEps > 0, "rms_norm_eps", "must be positive")
    }
}

// MARK: - HF config.json

extension TransformerConfig {
    public static func load(hfConfigAt path: String) throws -> TransformerConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(origin: path, key: "config.json", "cannot read the file")
        }
        return try fromHFConfig(data, origin: path)
    }

    public static func fromHFConfig(_ data: Data, origin: String) throws -> TransformerConfig {
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw ConfigError(origin: origin, key: "config.json", "not a JSON object")
        }
        return try fromHFConfig(root, origin: origin)
    }

    public static func fromHFConfig(_ json: [String: Any], origin: String) throws -> TransformerConfig {
        func err(_ key: String, _ msg: String) -> ConfigError { ConfigError(origin: origin, key: key, msg) }
        func present(_ key: String) -> Any? { json[key].flatMap { $0 is NSNull ? nil : $0 } }
        func int(_ key: String) throws -> Int {
            guard let v = present(key) else { throw err(key, "missing") }
            guard let n = jsonInteger(v) else { throw err(key, "\(v) is not an integer") }
            return n
        }
        func optInt(_ key: String) throws -> Int? { present(key) == nil ? nil : try int(key) }
        func double(_ v: Any?, _ key: String) throws -> Double? {
            guard let v, !(v is NSNull) else { return nil }
            if let d = v as? Double { return d }
            if let n = v as? Int { return Double(n) }
            throw err(key, "\(v) is not a number")
        }
        func bool(_ key: String, default def: Bool) throws -> Bool {
            guard let v = present(key) else { return def }
            guard let b = v as? Bool else { throw err(key, "\(v) is not a boolean") }
            return b
        }

        guard let type = present("model_type") as? String else { throw err("model_type", "missing") }
        guard let family = Family(rawValue: type) else {
            throw err("model_type", "'\(type)' is not supported (llama, qwen2)")
        }
        if let act = present("hidden_act") as? String, act != "silu" {
            throw err("hidden_act", "'\(act)' is not supported (silu)")
        }
        if try bool("mlp_bias", default: false) { throw err("mlp_bias", "MLP biases are not supported") }
        if try bool("use_sliding_window", default: false) {
            throw err("use_sliding_window", "sliding-window attention is not supported")
        }
        var theta = try double(present("rope_theta"), "rope_theta")
        if let scaling = present("rope_scaling") {
            guard let dict = scaling as? [String: Any] else { throw err("rope_scaling", "is not an object") }
            let kind = (dict["rope_type"] ?? dict["type"]) as? String ?? "?"
            if kind != "default" { throw err("rope_scaling", "RoPE scaling '\(kind)' is not supported") }
        }
        if let params = present("rope_parameters") {
            guard let dict = params as? [String: Any] else { throw err("rope_parameters", "is not an object") }
            if let kind = dict["rope_type"] as? String, kind != "default" {
                throw err("rope_parameters.rope_type", "RoPE type '\(kind)' is not supported (default)")
            }
            if let t = try double(dict["rope_theta"], "rope_parameters.rope_theta") { theta = t }
        }
        let hidden = try int("hidden_size")
        let heads = try int("num_attention_heads")
        var eos: [Int] = []
        if let v = present("eos_token_id") {
            if let n = jsonInteger(v) { eos = [n] } else if let a = v as? [Any] {
                eos = try a.map { guard let n = jsonInteger($0) else { throw err("eos_token_id", "\(v) is not a list of integers") }; return n }
            } else { throw err("eos_token_id", "\(v) is not an integer") }
        }
        let config = TransformerConfig(
            family: family, hiddenSize: hidden, numLayers: try int("num_hidden_layers"),
            intermediateSize: try int("intermediate_size"), numHeads: heads,
            numKVHeads: try optInt("num_key_value_heads") ?? heads,
            headDim: try optInt("head_dim"), vocabSize: try int("vocab_size"),
            ropeTheta: theta ?? 10000, rmsNormEps: try double(present("rms_norm_eps"), "rms_norm_eps") ?? 1e-6,
            tieWordEmbeddings: try bool("tie_word_embeddings", default: false),
            attentionBias: try bool("attention_bias", default: family == .qwen2),
            maxPositionEmbeddings: try optInt("max_position_embeddings") ?? 2048,
            bosTokenId: try optInt("bos_token_id"), eosTokenIds: eos)
        try config.validate(origin: origin)
        return config
    }
}

/// An integer from a JSON number without fraction. (Foundation on Linux hands JSON booleans back
/// as NSNumber, indistinguishable from 0/1 by casting, so booleans are not rejected here.)
func jsonInteger(_ v: Any) -> Int? {
    if let n = v as? Int { return n }
    if let d = v as? Double, d.rounded() == d, abs(d) < 9.0e15 { return Int(d) }
    return nil
}

// MARK: - GGUF metadata

extension TransformerConfig {
    public static func fromGGUF(_ file: GGUFFile) throws -> TransformerConfig {
        let origin = file.path
        guard let arch = file.architecture else { throw ConfigError(origin: origin, key: "general.architecture", "missing") }
        guard let family = Family(rawValue: arch) else {
            throw ConfigError(origin: origin, key: "general.architecture", "'\(arch)' is not supported (llama, qwen2)")
        }
        func int(_ key: String) throws -> Int {
            guard let v = file.metadata["\(arch).\(key)"] else { throw ConfigError(origin: origin, key: "\(arch).\(key)", "missing") }
            guard let n = v.intValue else { throw ConfigError(origin: origin, key: "\(arch).\(key)", "is not an integer") }
            return n
        }
        func optInt(_ key: String) throws -> Int? { file.metadata["\(arch).\(key)"] == nil ? nil : try int(key) }
        func double(_ key: String) throws -> Double? {
            guard let v = file.metadata["\(arch).\(key)"] else { return nil }
            guard let d = v.doubleValue else { throw ConfigError(origin: origin, key: "\(arch).\(key)", "is not a number") }
            return d
        }
        if let s = file.metadata["\(arch).rope.scaling.type"]?.stringValue, s != "none" {
            throw ConfigError(origin: origin, key: "\(arch).rope.scaling.type", "RoPE scaling '\(s)' is not supported")
        }
        if file.tensorsByName["rope_freqs.weight"] != nil {
            throw ConfigError(origin: origin, key: "rope_freqs.weight", "RoPE frequency factors (llama3 scaling) are not supported")
        }
        let heads = try int("attention.head_count")
        let hidden = try int("embedding_length")
        var vocab = try optInt("vocab_size")
        if vocab == nil, let tokens = file.metadata["tokenizer.ggml.tokens"]?.arrayValue { vocab = tokens.count }
        if vocab == nil, let emb = file.tensorsByName["token_embd.weight"], emb.dims.count == 2 { vocab = emb.dims[1] }
        let eos = file.metadata["tokenizer.ggml.eos_token_id"]?.intValue
        let config = TransformerConfig(
            family: family, hiddenSize: hidden, numLayers: try int("block_count"),
            intermediateSize: try int("feed_forward_length"), numHeads: heads,
            numKVHeads: try optInt("attention.head_count_kv") ?? heads,
            headDim: try optInt("attention.key_length"), vocabSize: vocab ?? 0,
            ropeTheta: try double("rope.freq_base") ?? 10000,
            rmsNormEps: try double("attention.layer_norm_rms_epsilon") ?? 1e-5,
            tieWordEmbeddings: file.tensorsByName["output.weight"] == nil,
            attentionBias: file.tensorsByName["blk.0.attn_q.bias"] != nil,
            maxPositionEmbeddings: try optInt("context_length") ?? 2048,
            bosTokenId: file.metadata["tokenizer.ggml.bos_token_id"]?.intValue,
            eosTokenIds: eos.map { [$0] } ?? [])
        try config.validate(origin: origin)
        return config
    }
}
