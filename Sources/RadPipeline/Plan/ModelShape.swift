import RadModelZoo
import RadOps

/// The sizes the planner needs from a model. `ModelZooShapes` implements `ModelShapeProvider` (reading a
/// GGUF header or an HF config.json) and `rad plan` installs it; without one the planner prints `?` for costs.
public struct ModelShape: Sendable, Hashable {
    public var parameters: Int64
    public var layers: Int
    public var hidden: Int
    public var vocabulary: Int
    /// Of `parameters`, those of the sequence mixers (attention or its replacement), all layers together.
    public var mixerParameters: Int64
    public init(parameters: Int64, layers: Int, hidden: Int, vocabulary: Int, mixerParameters: Int64 = 0) {
        self.parameters = parameters; self.layers = layers; self.hidden = hidden; self.vocabulary = vocabulary
        self.mixerParameters = mixerParameters
    }
}

public protocol ModelShapeProvider {
    /// The teacher's shape, or nil if the provider cannot read that source.
    func teacherShape(source: String, format: String) throws -> ModelShape?
    /// The student's shape, given the teacher's shape.
    func studentShape(_ student: StudentDescriptor, teacher: ModelShape) -> ModelShape?
}

extension ModelShapeProvider {
    /// Default: the student has about the teacher's parameters (the mixers keep q/k/v/o; LoRAs are small).
    public func studentShape(_ student: StudentDescriptor, teacher: ModelShape) -> ModelShape? { teacher }
}

/// The provider the CLI uses; `rad plan` sets it to `ModelZooShapes()` at start-up.
public enum ModelShapes {
    nonisolated(unsafe) public static var provider: (any ModelShapeProvider)? = nil
}
