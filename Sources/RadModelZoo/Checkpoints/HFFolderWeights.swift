import RadOps
import Foundation

/// A single safetensors file as a weight source.
public final class SafetensorsWeights: WeightSource {
    public let file: SafetensorsFile
    public init(path: String) throws { file = try SafetensorsFile(path: path) }
    public init(file: SafetensorsFile) { self.file = file }
    public var origin: String { file.path }
    public var tensorNames: [String] { file.tensorNames.sorted() }
    public func shape(_ name: String) -> [Int]? { file.info(name)?.shape }
    public func storageType(_ name: String) -> String? { file.info(name)?.dtype }
    public func load(_ name: String) throws -> Tensor { try file.load(name) }
}

/// An HF model folder: `model.safetensors`, or shards listed by `model.safetensors.index.json`.
public final class HFFolderWeights: WeightSource {
    public let directory: String
    public let files: [SafetensorsFile]
    private let fileOf: [String: SafetensorsFile]

    public init(directory: String) throws {
        self.directory = directory
        let dir = URL(fileURLWithPath: directory)
        let index = dir.appendingPathComponent("model.safetensors.index.json")
        let single = dir.appendingPathComponent("model.safetensors")
        var files: [SafetensorsFile] = []
        var fileOf: [String: SafetensorsFile] = [:]
        if FileManager.default.fileExists(atPath: index.path) {
            guard let data = FileManager.default.contents(atPath: index.path),
                  let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let map = root["weight_map"] as? [String: String] else {
                throw TensorFileError(file: index.path, "not a JSON object with a 'weight_map' of tensor name to file")
            }
            var opened: [String: SafetensorsFile] = [:]
            for shard in Set(map.values).sorted() {
                guard !shard.contains("/") && !shard.hasPrefix(".") else {
                    throw TensorFileError(file: index.path, "shard name '\(shard)' is not a plain file name")
                }
                let f = try SafetensorsFile(path: dir.appendingPathComponent(shard).path)
                opened[shard] = f
                files.append(f)
            }
            for (name, shard) in map {
                let f = opened[shard]!
                guard f.info(name) != nil else {
                    throw TensorFileError(file: f.path, tensor: name, "listed in model.safetensors.index.json but not in the shard")
                }
                fileOf[name] = f
            }
        } else if FileManager.default.fileExists(atPath: single.path) {
            let f = try SafetensorsFile(path: single.path)
            files = [f]
            for n in f.tensorNames { fileOf[n] = f }
        } else {
            throw TensorFileError(file: directory, "no model.safetensors or model.safetensors.index.json")
        }
        self.files = files
        self.fileOf = fileOf
    }

    public var origin: String { directory }
    public var tensorNames: [String] { fileOf.keys.sorted() }
    public func shape(_ name: String) -> [Int]? { fileOf[name]?.info(name)?.shape }
    public func storageType(_ name: String) -> String? { fileOf[name]?.info(name)?.dtype }
    public func load(_ name: String) throws -> Tensor {
        guard let f = fileOf[name] else { throw TensorFileError(file: directory, tensor: name, "no such tensor") }
        return try f.load(name)
    }
}
