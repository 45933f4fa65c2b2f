/// An error reading or writing a tensor file (safetensors, GGUF, HF folder). The description always
/// names the file, and the tensor or key when one is involved, so a user can find the problem.
public struct TensorFileError: Error, CustomStringConvertible, Equatable, Sendable {
    public var file: String
    public var tensor: String?
    public var message: String

    public init(file: String, tensor: String? = nil, _ message: String) {
        self.file = file
        self.tensor = tensor
        self.message = message
    }

    public var description: String {
        if let tensor { return "\(file): tensor '\(tensor)': \(message)" }
        return "\(file): \(message)"
    }
}
