import RadOps
import Foundation

/// A set of named weights in HF names and layouts (`model.layers.3.self_attn.q_proj.weight`,
/// [out, in]), whatever the file format. Model code loads through this and `StrictWeightLoader`.
public protocol WeightSource: AnyObject {
    /// Where the weights come from (a path), for error messages.
    var origin: String { get }
    /// All tensor names, sorted.
    var tensorNames: [String] { get }
    /// The row-major shape of `name`, nil if absent.
    func shape(_ name: String) -> [Int]?
    /// The storage type of `name` as the file names it ("BF16", "Q4_1", ...).
    func storageType(_ name: String) -> String?
    /// Loads `name` as an fp32 tensor.
    func load(_ name: String) throws -> Tensor
}

/// Opens a checkpoint: a `.gguf` file, a `.safetensors` file, or an HF folder.
public func openWeights(at path: String) throws -> any WeightSource {
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
        throw TensorFileError(file: path, "no such file or directory")
    }
    if isDir.boolValue { return try HFFolderWeights(directory: path) }
    if try isGGUF(path: path) { return try GGUFWeights(path: path) }
    return try SafetensorsWeights(path: path)
}

/// True if the file starts with the GGUF magic.
public func isGGUF(path: String) throws -> Bool {
    guard let fh = FileHandle(forReadingAtPath: path) else { throw TensorFileError(file: path, "cannot open") }
    defer { try? fh.close() }
    let head = (try? fh.read(upToCount: 4)) ?? nil
    return head.map { Array($0) == Array("GGUF".utf8) } ?? false
}
