import RadOps

/// Named tensors already in memory (a cached artifact) as a weight source.
public final class InMemoryWeights: WeightSource {
    public let origin: String
    private let tensors: [String: Tensor]

    public init(_ tensors: [String: Tensor], origin: String) {
        self.tensors = tensors
        self.origin = origin
    }

    public var tensorNames: [String] { tensors.keys.sorted() }
    public func shape(_ name: String) -> [Int]? { tensors[name]?.shape }
    public func storageType(_ name: String) -> String? { tensors[name] == nil ? nil : "F32" }
    public func load(_ name: String) throws -> Tensor {
        guard let t = tensors[name] else { throw TensorFileError(file: origin, tensor: name, "no such tensor") }
        return t.copy()
    }
}
