import RadOps
import Foundation
import RadModelZoo

/// A model as a cached artifact: every tensor in the zstd bundle (HF names, fp32, exact) plus rad's own
/// typed record of it (`student.json`, `ModelRecord`). HF `config.json` is written only by `export_hf`.
enum ModelArtifact {
    /// What cache entries written before `student.json` carry instead (read, never written).
    static let legacyConfigFile = "config.json"

    static func output(_ model: DecoderModel, workDirectory: URL, meta: CanonicalValue) throws -> StepOutput {
        var tensors: [String: Tensor] = [:]
        for t in HFExporter.storedTensors(model) { tensors[t.name!] = t }
        let record = workDirectory.appendingPathComponent(ModelRecord.fileName)
        try ModelRecord(model).encoded().write(to: record)
        return StepOutput(tensors: tensors, files: [ModelRecord.fileName: record], meta: meta)
    }

    static func load(_ artifact: Artifact) throws -> DecoderModel {
        let origin = "cache entry \(artifact.key.prefix(12))"
        let weights = InMemoryWeights(try artifact.tensors(), origin: origin)
        if let data = FileManager.default.contents(atPath: artifact.file(ModelRecord.fileName).path) {
            return try ModelRecord.decode(data, origin: origin).model(weights: weights, origin: origin)
        }
        guard let data = FileManager.default.contents(atPath: artifact.file(legacyConfigFile).path),
              let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw StepFailure("cached model \(artifact.key.prefix(12)) has neither a readable \(ModelRecord.fileName) nor a config.json")
        }
        return try ModelLoader.load(hfConfig: json, configPath: origin, weights: weights)
    }
}

/// Loads each teacher (and tokenizer) once per process: several steps of a run share them.
final class SourceCache: @unchecked Sendable {
    static let shared = SourceCache()
    private var teachers: [String: DecoderModel] = [:]
    private var tokenizers: [String: BPETokenizer] = [:]
    private let lock = NSLock()

    func teacher(_ path: String) throws -> DecoderModel {
        lock.lock(); defer { lock.unlock() }
        if let t = teachers[path] { return t }
        let t = try ModelLoader.load(path, loadTokenizer: false).model
        teachers[path] = t
        return t
    }

    func tokenizer(_ path: String) throws -> BPETokenizer {
        lock.lock(); defer { lock.unlock() }
        if let t = tokenizers[path] { return t }
        let t = try ModelLoader.tokenizer(at: path)
        tokenizers[path] = t
        return t
    }
}

extension StepContext {
    func input(_ role: String) throws -> Artifact {
        guard let a = inputs[role] else { throw StepFailure("step '\(node.id)' lacks its input '\(role)'") }
        return a
    }

    func teacherModel() throws -> DecoderModel {
        guard let path = sourcePath(role: "teacher") else { throw StepFailure("step '\(node.id)' needs a teacher") }
        return try SourceCache.shared.teacher(path)
    }

    func tokenizerModel() throws -> BPETokenizer {
        guard let path = sourcePath(role: "tokenizer") else { throw StepFailure("step '\(node.id)' needs a tokenizer") }
        return try SourceCache.shared.tokenizer(path)
    }
}
