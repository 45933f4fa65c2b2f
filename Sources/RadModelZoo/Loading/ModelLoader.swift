import Foundation
import RadOps

/// A model ready to run, with its tokenizer when the files carry one.
public struct LoadedModel {
    public var model: DecoderModel
    public var tokenizer: BPETokenizer?
    public var origin: String
    /// "gguf" or "hf".
    public var format: String
}

/// Opens what a user points rad at: a `.gguf` file, an HF teacher folder (llama / qwen2), or an HF
/// student folder of any registered architecture's `model_type` (as rad exports and RADLADS releases them).
public enum ModelLoader {
    public static func load(_ path: String, loadTokenizer: Bool = true) throws -> LoadedModel {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw TensorFileError(file: path, "no such file or directory")
        }
        if !isDir.boolValue {
            guard try isGGUF(path: path) else {
                throw TensorFileError(file: path, "not a GGUF file; give a .gguf file or an HF model folder")
            }
            let gguf = try GGUFFile(path: path)
            let config = try TransformerConfig.fromGGUF(gguf)
            let weights = try GGUFWeights(file: gguf)
            let model = try teacher(config: config, weights: weights)
            let tokenizer = loadTokenizer ? try BPETokenizer.load(gguf: gguf) : nil
            return LoadedModel(model: model, tokenizer: tokenizer, origin: path, format: "gguf")
        }
        let configPath = (path as NSString).appendingPathComponent("config.json")
        guard let data = FileManager.default.contents(atPath: configPath) else {
            throw ConfigError(origin: configPath, key: "config.json", "missing: an HF model folder needs a config.json")
        }
        guard let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw ConfigError(origin: configPath, key: "config.json", "not a JSON object")
        }
        let model = try load(hfConfig: json, configPath: configPath, weights: try HFFolderWeights(directory: path))
        var tokenizer: BPETokenizer? = nil
        let tokenizerPath = (path as NSString).appendingPathComponent("tokenizer.json")
        if loadTokenizer && FileManager.default.fileExists(atPath: tokenizerPath) {
            let special = HFTokenizerWriter.specialTokens(
                tokenizerConfigAt: (path as NSString).appendingPathComponent("tokenizer_config.json"))
            tokenizer = try BPETokenizer.load(tokenizerJSON: tokenizerPath, bosToken: special.bos,
                                              eosToken: special.eos, addBos: special.addBos)
        }
        return LoadedModel(model: model, tokenizer: tokenizer, origin: path, format: "hf")
    }

    /// A teacher or student described by an HF `config.json` object, with its weights from `weights`.
    public static func load(hfConfig: [String: Any], configPath: String, weights: any WeightSource) throws -> DecoderModel {
        var json = hfConfig
        if let type = StudentArchitectures.type(hfModelType: json["model_type"] as? String ?? "") {
            json["model_type"] = "qwen2"   // the shared transformer fields are Qwen2's
            let config = try TransformerConfig.fromHFConfig(json, origin: configPath)
            let architecture: any StudentArchitecture
            do { architecture = try type.init(options: type.options(fromHF: HFStudentConfig(json: json, weights: weights))) }
            catch { throw ConfigError(origin: configPath, key: "model_type", "\(error)") }
            // rad writes a choice that is not the last layers as `attention_layers` (HFExporter.configJSON).
            let softmaxLayers = (json["attention_layers"] as? [Int]).map { SoftmaxLayers.choice($0, of: config.numLayers) }
                ?? .last(json["num_attention_layers"] as? Int ?? 0)
            return try student(config: config, student: StudentDescriptor(architecture: architecture, softmaxLayers: softmaxLayers),
                               weights: weights)
        }
        return try teacher(config: TransformerConfig.fromHFConfig(json, origin: configPath), weights: weights)
    }

    /// The tokenizer of a model path: from a GGUF's metadata or an HF folder's tokenizer.json.
    public static func tokenizer(at path: String) throws -> BPETokenizer {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw TensorFileError(file: path, "no such file or directory")
        }
        if !isDir.boolValue { return try BPETokenizer.load(gguf: GGUFFile(path: path)) }
        let special = HFTokenizerWriter.specialTokens(tokenizerConfigAt: (path as NSString).appendingPathComponent("tokenizer_config.json"))
        return try BPETokenizer.load(tokenizerJSON: (path as NSString).appendingPathComponent("tokenizer.json"),
                                     bosToken: special.bos, eosToken: special.eos, addBos: special.addBos)
    }

    /// A teacher from any weight source, strictly: every tensor used, every shape checked.
    public static func teacher(config: TransformerConfig, weights: any WeightSource) throws -> DecoderModel {
        var loader = StrictWeightLoader(weights)
        let model = try DecoderAssembler.teacher(config: config) { name, shape in try loader.take(name, shape: shape) }
        // Tied checkpoints sometimes still carry a copy of the head; RoPE caches are not weights.
        try loader.finish(allowUnused: config.tieWordEmbeddings ? ["lm_head.weight", "*rotary_emb.inv_freq"] : ["*rotary_emb.inv_freq"])
        return model
    }

    /// A student from any weight source, strictly; its head is tied when the config says so.
    public static func student(config: TransformerConfig, student: StudentDescriptor, weights: any WeightSource) throws -> DecoderModel {
        var loader = StrictWeightLoader(weights)
        let model = try StudentBuilder.load(config: config, student: student, tiedHead: config.tieWordEmbeddings) { name, shape in
            try loader.take(name, shape: shape)
        }
        try loader.finish(allowUnused: ["*rotary_emb.inv_freq"])
        return model
    }
}
