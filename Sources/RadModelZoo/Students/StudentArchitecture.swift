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

/// A student architecture, whole: the recurrent mixer that replaces softmax attention, its options (with
/// defaults and documentation: what the validator, the JSON Schema and `--print-schema` show) and their
/// decoding, its parameters with their initialisation, its trainable subsets, its HF `config.json`
/// encoding and decoding, and the recurrence kernel it runs. Each architecture is one file (its
/// options, mixer and this type) and one line in `StudentArchitectures.registry`; nothing else names it.
public protocol StudentArchitecture: Sendable {
    /// Manifest name, e.g. `rad-rwkv6`.
    static var name: String { get }
    /// One line for `--print-schema` and help texts.
    static var summary: String { get }
    /// The options a manifest may set, with defaults and documentation (`softmax_layers` is added for
    /// every architecture by `StudentDescriptor`).
    static var optionTable: [ArchitectureOption] { get }
    /// The HF `model_type` and `architectures[0]` of exported folders.
    static var hfModelType: String { get }
    static var hfArchitecture: String { get }
    /// The paper's final students, benchmarked by default (`rad bench`).
    static var isPaperStudent: Bool { get }
    /// The RadOps recurrence it trains with, by its benchmark name (`benchmarkRecurrences`).
    static var recurrenceKernel: String { get }
    /// Stage 3a's trainable subset (`trainable: decay_tokenshift`, spec §1.5): parameter short names.
    static var decayAndTokenshiftParameters: Set<String> { get }

    /// Decodes manifest options (absent ones take the table's default); unknown names and wrong types
    /// are refused by `OptionReader`.
    init(options: [String: OptionValue]) throws
    /// The options an HF folder states in config.json (and, for LoRA ranks released checkpoints leave
    /// out, in its tensor shapes), as a manifest would write them.
    static func options(fromHF config: HFStudentConfig) throws -> [String: OptionValue]
    /// The option fields written to an exported `config.json`.
    func hfConfigFields(config: TransformerConfig) -> [String: OptionValue]
    /// The options as a manifest would write them (for run records, `student.json` and model cards).
    var options: [String: OptionValue] { get }

    /// Parameters of layer `layer` (of `layers`) with their initialisation.
    func specs(config: TransformerConfig, layer: Int, layers: Int) -> [ParameterSpec]
    /// The mixer of layer `layer` over already created parameters.
    func makeMixer(config: TransformerConfig, layer: Int, parameters: ParameterTable) -> SequenceMixer
}

extension StudentArchitecture {
    public var name: String { Self.name }
    public var hfModelType: String { Self.hfModelType }
    public var hfArchitecture: String { Self.hfArchitecture }
    public var recurrenceKernel: String { Self.recurrenceKernel }
    public var decayAndTokenshiftParameters: Set<String> { Self.decayAndTokenshiftParameters }
    public static var isPaperStudent: Bool { false }
}

/// What an HF student folder says about its architecture's options: config.json's fields and the
/// shapes of layer 0's mixer tensors.
public struct HFStudentConfig {
    let json: [String: Any]
    let weights: any WeightSource
    public init(json: [String: Any], weights: any WeightSource) { self.json = json; self.weights = weights }

    public func bool(_ key: String) -> Bool? { json[key] as? Bool }
    public func int(_ key: String) -> Int? { json[key] as? Int }
    /// The shape of layer 0's mixer tensor `name` (after `self_attn.`), if the folder has it.
    public func layerZeroShape(_ name: String) -> [Int]? { weights.shape("model.layers.0.self_attn." + name) }
    /// The column count of a 2-D layer-0 tensor, e.g. a LoRA's rank.
    public func columns(_ name: String) -> Int? {
        guard let s = layerZeroShape(name), s.count >= 2 else { return nil }
        return s[s.count - 1]
    }
}

/// Reads typed options against an architecture's option table: absent options take the table's default,
/// unknown names and wrong types are refused with a clear message.
public struct OptionReader {
    private let values: [String: OptionValue]
    private let table: [ArchitectureOption]
    private var used: Set<String> = []
    public let architecture: String

    public init(_ values: [String: OptionValue], architecture: String, table: [ArchitectureOption]) {
        self.values = values; self.architecture = architecture; self.table = table
    }

    private func option(_ key: String) -> ArchitectureOption {
        guard let o = table.first(where: { $0.name == key }) else { preconditionFailure("\(architecture) reads undeclared option '\(key)'") }
        return o
    }

    public mutating func bool(_ key: String) throws -> Bool {
        let o = option(key)
        guard let v = values[key] else {
            guard case .bool(let b) = o.defaultValue else { preconditionFailure("option '\(key)' has no bool default") }
            return b
        }
        used.insert(key)
        guard case .bool(let b) = v else { throw StudentError("\(architecture): option '\(key)' must be true or false, got '\(v)'") }
        return b
    }

    /// A LoRA rank: a positive integer, or nil for `auto` (absent = the table's default).
    public mutating func rank(_ key: String) throws -> Int? {
        let o = option(key)
        guard let v = values[key] else {
            if case .int(let i) = o.defaultValue { return i }
            return nil
        }
        used.insert(key)
        switch v {
        case .int(let i) where i > 0: return i
        case .string("auto"): return nil
        default: throw StudentError("\(architecture): option '\(key)' must be a positive integer or 'auto', got '\(v)'")
        }
    }

    /// One of the option's words, as the enum whose raw values they are.
    public mutating func choice<E: RawRepresentable>(_ key: String, as: E.Type = E.self) throws -> E where E.RawValue == String {
        let o = option(key)
        guard case .choice(let allowed) = o.kind, case .word(let fallback) = o.defaultValue else {
            preconditionFailure("option '\(key)' is not a choice")
        }
        var word = fallback
        if let v = values[key] {
            used.insert(key)
            guard case .string(let s) = v, allowed.contains(s) else {
                throw StudentError("\(architecture): option '\(key)' must be one of \(allowed.joined(separator: ", ")), got '\(v)'")
            }
            word = s
        }
        guard let e = E(rawValue: word) else { preconditionFailure("option '\(key)': '\(word)' has no case") }
        return e
    }

    public func finish() throws {
        let unknown = Set(values.keys).subtracting(used).sorted()
        if !unknown.isEmpty {
            throw StudentError("\(architecture): unknown option\(unknown.count > 1 ? "s" : "") \(unknown.map { "'\($0)'" }.joined(separator: ", "))")
        }
    }
}

/// The student architectures rad knows: adding one is a new file with a `StudentArchitecture` and one
/// line here. The catalog (`ArchitectureCatalog`), the names and the HF `model_type` map derive from it.
public enum StudentArchitectures {
    public static let registry: [any StudentArchitecture.Type] = [
        RadRWKV6Architecture.self,
        RadRWKV7Architecture.self,
        QLinAttArchitecture.self,
        RadGDNArchitecture.self,
    ]

    /// In registry order (what the schema and error messages list).
    public static var names: [String] { registry.map { $0.name } }

    /// The paper's final students (what `rad bench` measures by default).
    public static var paperStudents: [String] { registry.filter { $0.isPaperStudent }.map { $0.name } }

    public static func type(named name: String) -> (any StudentArchitecture.Type)? { registry.first { $0.name == name } }

    public static func type(hfModelType: String) -> (any StudentArchitecture.Type)? { registry.first { $0.hfModelType == hfModelType } }

    public static func make(_ name: String, options: [String: OptionValue] = [:]) throws -> any StudentArchitecture {
        guard let type = type(named: name) else {
            throw StudentError("unknown student architecture '\(name)' (known: \(names.joined(separator: ", ")))")
        }
        return try type.init(options: options)
    }
}
