import Foundation

/// What `rad inspect` prints about a checkpoint: format, architecture and config, tensor and
/// parameter counts, storage types, the largest tensors, and the tokenizer.
public enum ModelInspection {
    /// The report for a `.gguf` file, a `.safetensors` file or an HF folder. Throws when the weights
    /// cannot be read; config and tokenizer problems are reported inline (they are findings).
    public static func report(path: String) throws -> String {
        var lines: [String] = ["file: \(path)"]
        let source = try openWeights(at: path)
        var config: Result<TransformerConfig, Error>?
        var tokenizer: Result<BPETokenizer, Error>?
        switch source {
        case let g as GGUFWeights:
            let f = g.gguf
            lines.append("format: GGUF v\(f.version), alignment \(f.alignment), \(f.metadata.count) metadata keys")
            lines.append("architecture: \(f.architecture ?? "unknown")")
            if let name = f.metadata["general.name"]?.stringValue { lines.append("name: \(name)") }
            config = Result { try TransformerConfig.fromGGUF(f) }
            if f.metadata["tokenizer.ggml.model"] != nil { tokenizer = Result { try BPETokenizer.load(gguf: f) } }
        case let h as HFFolderWeights:
            lines.append("format: HF folder, \(h.files.count) safetensors file(s)")
            let dir = URL(fileURLWithPath: path)
            let configPath = dir.appendingPathComponent("config.json").path
            if FileManager.default.fileExists(atPath: configPath) {
                var student: String?
                if let data = FileManager.default.contents(atPath: configPath),
                   let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] {
                    let modelType = root["model_type"] as? String ?? "unknown"
                    lines.append("architecture: \(modelType)")
                    student = StudentArchitectures.type(hfModelType: modelType)?.name
                    if let student {
                        // rad's exports and released QRWKV folders: a Qwen2 body with a student mixer.
                        lines.append("student: \(student) (the transformer fields are Qwen2's)")
                        var qwen = root
                        qwen["model_type"] = "qwen2"
                        config = Result { try TransformerConfig.fromHFConfig(qwen, origin: configPath) }
                    }
                }
                if student == nil { config = Result { try TransformerConfig.load(hfConfigAt: configPath) } }
            }
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent("tokenizer.json").path) {
                tokenizer = Result { try BPETokenizer.load(checkpoint: path) }
            }
        default:
            lines.append("format: safetensors")
            if let s = source as? SafetensorsWeights, !s.file.metadata.isEmpty {
                lines.append("metadata: " + s.file.metadata.keys.sorted().map { "\($0)=\(s.file.metadata[$0]!)" }.joined(separator: ", "))
            }
        }
        switch config {
        case .success(let c)?:
            lines.append("config: family \(c.family.rawValue), hidden \(c.hiddenSize), layers \(c.numLayers), mlp \(c.intermediateSize), heads \(c.numHeads), kv heads \(c.numKVHeads), head_dim \(c.headDim), vocab \(c.vocabSize)")
            lines.append("        rope_theta \(c.ropeTheta), rms_norm_eps \(c.rmsNormEps), tied embeddings \(c.tieWordEmbeddings), attention bias \(c.attentionBias), max positions \(c.maxPositionEmbeddings), bos \(c.bosTokenId.map(String.init) ?? "none"), eos \(c.eosTokenIds)")
        case .failure(let e)?: lines.append("config: not usable: \(e)")
        case nil: lines.append("config: none")
        }
        let names = source.tensorNames
        var params = 0
        var types: [String: Int] = [:]
        var sized: [(String, [Int], Int)] = []
        for n in names {
            let shape = source.shape(n) ?? []
            let count = shape.reduce(1, *)
            params += count
            types[source.storageType(n) ?? "?", default: 0] += 1
            sized.append((n, shape, count))
        }
        lines.append("tensors: \(names.count)")
        lines.append("parameters: \(grouped(params))")
        lines.append("storage types: " + types.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        lines.append("largest tensors:")
        for (n, shape, count) in sized.sorted(by: { ($0.2, $1.0) > ($1.2, $0.0) }).prefix(5) {
            lines.append("  \(n) \(shape) \(source.storageType(n) ?? "?") (\(grouped(count)))")
        }
        switch tokenizer {
        case .success(let t)?: lines.append("tokenizer: \(t.summary)")
        case .failure(let e)?: lines.append("tokenizer: not usable: \(e)")
        case nil: lines.append("tokenizer: none")
        }
        return lines.joined(separator: "\n")
    }

    /// 134515008 -> "134,515,008"
    public static func grouped(_ n: Int) -> String {
        let digits = Array(String(n))
        var out = ""
        for (i, d) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(d)
        }
        return out
    }
}
