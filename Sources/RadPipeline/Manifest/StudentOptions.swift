import RadModelZoo

extension StudentDescriptor {
    /// A student from a manifest's validated options (`Manifest.Student.options`, `softmax_layers`
    /// included): the one place the pipeline's canonical values become the architecture's option values.
    public init(architecture name: String, canonicalOptions: [String: CanonicalValue]) throws {
        var options: [String: OptionValue] = [:]
        for (key, value) in canonicalOptions {
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
}
