import RadOps

/// A value of a student option as written in a manifest or an HF config.
public enum OptionValue: Equatable, Sendable, CustomStringConvertible {
    case bool(Bool), int(Int), string(String)
    public var description: String {
        switch self { case .bool(let b): return String(b); case .int(let i): return String(i); case .string(let s): return s }
    }
}

/// An error in a student's options or checkpoint.
public struct StudentError: Error, CustomStringConvertible {
    public let description: String
    public init(_ message: String) { description = message }
}

/// A student architecture: the recurrent mixer that replaces softmax attention, its parameters and
/// their initialisation, and its HF export identity. Implementations are registered in
/// `StudentArchitectures.registry`.
public protocol StudentArchitecture {
    /// Manifest name, e.g. `rad-rwkv6`.
    var name: String { get }
    /// The HF `model_type` and `architectures[0]` of exported folders.
    var hfModelType: String { get }
    var hfArchitecture: String { get }
    /// Parameters of layer `layer` (of `layers`) with their initialisation.
    func specs(config: TransformerConfig, layer: Int, layers: Int) -> [ParameterSpec]
    /// The mixer of layer `layer` over already created parameters.
    func makeMixer(config: TransformerConfig, layer: Int, parameters: ParameterTable) -> SequenceMixer
    /// The option fields written to (and read back from) an exported `config.json`.
    func hfConfigFields(config: TransformerConfig) -> [String: OptionValue]
    /// The options as a manifest would write them (for run records and model cards).
    var options: [String: OptionValue] { get }
}

/// Reads typed options, rejecting unknown names and wrong types with a clear message.
public struct OptionReader {
    private let values: [String: OptionValue]
    private var used: Set<String> = []
    public let architecture: String

    public init(_ values: [String: OptionValue], architecture: String) {
        self.values = values; self.architecture = architecture
    }

    public mutating func bool(_ key: String) throws -> Bool? {
        guard let v = values[key] else { return nil }
        used.insert(key)
        guard case .bool(let b) = v else { throw StudentError("\(architecture): option '\(key)' must be true or false, got '\(v)'") }
        return b
    }

    /// An integer, or nil for absent / `auto`.
    public mutating func rank(_ key: String) throws -> Int? {
        guard let v = values[key] else { return nil }
        used.insert(key)
        switch v {
        case .int(let i) where i > 0: return i
        case .string("auto"): return nil
        default: throw StudentError("\(architecture): option '\(key)' must be a positive integer or 'auto', got '\(v)'")
        }
    }

    public mutating func choice(_ key: String, _ allowed: [String]) throws -> String? {
        guard let v = values[key] else { return nil }
        used.insert(key)
        guard case .string(let s) = v, allowed.contains(s) else {
            throw StudentError("\(architecture): option '\(key)' must be one of \(allowed.joined(separator: ", ")), got '\(v)'")
        }
        return s
    }

    public func finish() throws {
        let unknown = Set(values.keys).subtracting(used).sorted()
        if !unknown.isEmpty {
            throw StudentError("\(architecture): unknown option\(unknown.count > 1 ? "s" : "") \(unknown.map { "'\($0)'" }.joined(separator: ", "))")
        }
    }
}

/// The student architectures rad knows. Adding one is a new file with a `StudentArchitecture` and one
/// line here.
public enum StudentArchitectures {
    public static let registry: [String: ([String: OptionValue]) throws -> StudentArchitecture] = [
        "rad-rwkv6": { try RadRWKV6Architecture(options: $0) },
        "rad-rwkv7": { try RadRWKV7Architecture(options: $0) },
        "qlinatt": { try QLinAttArchitecture(options: $0) },
    ]

    public static var names: [String] { registry.keys.sorted() }

    public static func make(_ name: String, options: [String: OptionValue] = [:]) throws -> StudentArchitecture {
        guard let factory = registry[name] else {
            throw StudentError("unknown student architecture '\(name)' (known: \(names.joined(separator: ", ")))")
        }
        return try factory(options)
    }
}
