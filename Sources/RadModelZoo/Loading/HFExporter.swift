import Foundation
import RadOps

/// Writes a model as an HF folder (spec §4): `config.json` with the teacher's fields and the student
/// architecture's option fields, `model.safetensors` with HF names and layouts (linear weights
/// [out, in], LoRA matrices [in, out]), and the tokenizer. Written into a temporary folder and renamed,
/// so an interrupted export leaves nothing half-written.
public enum HFExporter {
    public struct Options {
        /// Store weights as bf16 (as released checkpoints are) instead of exact fp32.
        public var bf16 = false
        /// Re-tie the head to the embeddings, discarding the trained head (the paper's practice for
        /// tied teachers).
        public var retieEmbeddings = false
        public init(bf16: Bool = false, retieEmbeddings: Bool = false) { self.bf16 = bf16; self.retieEmbeddings = retieEmbeddings }
    }

    public static func export(_ model: DecoderModel, tokenizer: BPETokenizer?, to directory: String,
                              options: Options = Options(), extraFiles: [String: Data] = [:]) throws {
        let fm = FileManager.default
        let tmp = directory + ".partial-\(getpid())"
        try? fm.removeItem(atPath: tmp)
        try fm.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        do {
            let tied = options.retieEmbeddings || model.isTied
            let entries = storedTensors(model)
                .filter { !(tied && $0.name == "lm_head.weight") }
                .map { SafetensorsWriter.Entry($0.name!, $0, dtype: options.bf16 ? .bf16 : .f32) }
            try SafetensorsWriter.write(entries, metadata: ["format": "pt"], to: tmp + "/model.safetensors")
            let config = try configJSON(model, tied: tied, bf16: options.bf16)
            try config.write(to: URL(fileURLWithPath: tmp + "/config.json"))
            if let tokenizer {
                try HFTokenizerWriter.tokenizerJSON(tokenizer).write(to: URL(fileURLWithPath: tmp + "/tokenizer.json"))
                try HFTokenizerWriter.tokenizerConfigJSON(tokenizer).write(to: URL(fileURLWithPath: tmp + "/tokenizer_config.json"))
            }
            for (name, data) in extraFiles { try data.write(to: URL(fileURLWithPath: tmp + "/" + name)) }
            if fm.fileExists(atPath: directory) { try fm.removeItem(atPath: directory) }
            let parent = (directory as NSString).deletingLastPathComponent
            if !parent.isEmpty { try fm.createDirectory(atPath: parent, withIntermediateDirectories: true) }
            try fm.moveItem(atPath: tmp, toPath: directory)
        } catch {
            try? fm.removeItem(atPath: tmp)
            throw error
        }
    }

    /// Every tensor a checkpoint of `model` holds: its parameters, plus those kept only for the format
    /// and never trained (RWKV-7's r_k, layer 0's v0..v2). Each once, in a stable order.
    public static func storedTensors(_ model: DecoderModel) -> [Tensor] {
        var all = model.parameters
        var seen = Set(all.map { ObjectIdentifier($0) })
        for layer in model.layers {
            for t in (layer.mixer as? ParameterTableOwner)?.table.tensors ?? [] where seen.insert(ObjectIdentifier(t)).inserted {
                all.append(t)
            }
        }
        return all
    }

    public static func configJSON(_ model: DecoderModel, tied: Bool, bf16: Bool) throws -> Data {
        let c = model.config
        var json: [String: Any] = [
            "attention_bias": c.attentionBias, "attention_dropout": 0.0, "hidden_act": "silu",
            "hidden_size": c.hiddenSize, "intermediate_size": c.intermediateSize, "initializer_range": 0.02,
            "max_position_embeddings": c.maxPositionEmbeddings, "num_attention_heads": c.numHeads,
            "num_hidden_layers": c.numLayers, "num_key_value_heads": c.numKVHeads, "head_dim": c.headDim,
            "rms_norm_eps": c.rmsNormEps, "rope_theta": c.ropeTheta, "tie_word_embeddings": tied,
            "torch_dtype": bf16 ? "bfloat16" : "float32", "use_cache": true, "vocab_size": c.vocabSize,
        ]
        if let bos = c.bosTokenId { json["bos_token_id"] = bos }
        if let eos = c.eosTokenIds.first { json["eos_token_id"] = c.eosTokenIds.count == 1 ? eos as Any : c.eosTokenIds as Any }
        if let student = model.student {
            let a = student.architecture
            json["model_type"] = a.hfModelType
            json["architectures"] = [a.hfArchitecture]
            json["attention_output_bias"] = false
            // The reference code reads `num_attention_layers` as the last N layers; a measured choice of
            // other layers is stated as rad's `attention_layers` list instead (ModelLoader reads both).
            switch student.softmaxLayers {
            case .last(let n): json["num_attention_layers"] = n
            case .chosen(let list): json["attention_layers"] = list
            }
            for (k, v) in a.hfConfigFields(config: c) {
                switch v { case .bool(let b): json[k] = b; case .int(let i): json[k] = i; case .string(let s): json[k] = s }
            }
        } else {
            json["model_type"] = c.family.rawValue
            json["architectures"] = [c.family == .llama ? "LlamaForCausalLM" : "Qwen2ForCausalLM"]
        }
        return try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys])
    }
}
