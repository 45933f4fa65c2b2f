import RadModelZoo

extension StudentDescriptor {
    /// A student from a manifest's validated options (`Manifest.Student.options`, `softmax_layers`
    /// included): the one place the pipeline's canonical values become the architecture's option values.
    /// `softmax_layers: { auto: K }` builds a pure student: the align step chooses the K layers after
    /// stage 1 (`LayerSelection`).
    public init(architecture name: String, canonicalOptions: [String: CanonicalValue]) throws {
        var options: [String: OptionValue] = [:]
        for (key, value) in canonicalOptions where Self.autoSoftmaxLayers(key, value) == nil {
            switch value {
            case .bool(let b): options[key] = .bool(b)
            case .string(let s): options[key] = .string(s)
            default:
                guard let i = value.intValue else { throw StudentError("\(name): option '\(key)' has an unusable value \(value)") }
                options[key] = .int(Int(i))
            }
        }
        try self.init(architecture: name, options: options)
    }

    /// K of `softmax_layers: { auto: K }`, or nil.
    static func autoSoftmaxLayers(_ key: String, _ value: CanonicalValue) -> Int? {
        guard key == softmaxLayersOption, let k = value.objectValue?["auto"]?.intValue else { return nil }
        return Int(k)
    }
}

extension Manifest.Student {
    /// K when the manifest asks for `softmax_layers: { auto: K }`: the K layers are chosen after stage 1.
    public var autoSoftmaxLayers: Int? {
        options[StudentDescriptor.softmaxLayersOption].flatMap { StudentDescriptor.autoSoftmaxLayers(StudentDescriptor.softmaxLayersOption, $0) }
    }
}
