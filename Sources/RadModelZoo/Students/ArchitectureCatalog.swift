/// The student architectures a manifest may name, with the options each one accepts: derived from
/// `StudentArchitectures.registry` (each architecture states its own options), plus `softmax_layers`,
/// which every architecture has. Read by the manifest validator, the JSON Schema generator and `rad`
/// help texts.
public struct ArchitectureDescriptor: Sendable {
    public var name: String
    public var summary: String
    public var options: [ArchitectureOption]

    public func option(named name: String) -> ArchitectureOption? { options.first { $0.name == name } }
}

public struct ArchitectureOption: Sendable {
    public enum Kind: Sendable, Hashable {
        case bool
        /// One of a fixed set of words.
        case choice([String])
        /// A non-negative integer up to `max`.
        case int(max: Int)
        /// `auto` (derived from the teacher's shape, spec §2.1) or a positive integer.
        case intOrAuto(max: Int)
        /// A count of layers up to `max`, or `{ auto: K }` (K layers chosen by measurement; a pipeline concept).
        case layerCountOrAuto(max: Int)
    }
    public enum Value: Sendable, Hashable, CustomStringConvertible {
        case bool(Bool), word(String), int(Int), auto
        public var description: String {
            switch self {
            case .bool(let b): return String(b)
            case .word(let w): return w
            case .int(let i): return String(i)
            case .auto: return "auto"
            }
        }
    }
    public var name: String
    public var kind: Kind
    public var defaultValue: Value
    public var summary: String

    public init(name: String, kind: Kind, defaultValue: Value, summary: String) {
        self.name = name; self.kind = kind; self.defaultValue = defaultValue; self.summary = summary
    }

    public static func bool(_ name: String, _ value: Bool, _ summary: String) -> ArchitectureOption {
        ArchitectureOption(name: name, kind: .bool, defaultValue: .bool(value), summary: summary)
    }

    /// One of `words`, the first being the default.
    public static func choice(_ name: String, _ words: [String], _ summary: String) -> ArchitectureOption {
        ArchitectureOption(name: name, kind: .choice(words), defaultValue: .word(words[0]), summary: summary)
    }

    /// A LoRA rank, `auto` by default.
    public static func loraRank(_ name: String, _ what: String) -> ArchitectureOption {
        ArchitectureOption(name: name, kind: .intOrAuto(max: 1 << 16), defaultValue: .auto,
                           summary: "LoRA rank of the \(what); `auto` = calc_lora_rank from the hidden size (spec §2.1)")
    }

    /// Hybrids (every architecture): which layers keep the teacher's softmax attention.
    public static let softmaxLayers = ArchitectureOption(
        name: StudentDescriptor.softmaxLayersOption, kind: .layerCountOrAuto(max: 1 << 12), defaultValue: .int(0),
        summary: "hybrid: keep the last N layers as the teacher's softmax attention (0 = pure RNN), or { auto: K }: "
            + "keep the K layers whose conversion alone costs the most KL, measured after stage 1")
}

public enum ArchitectureCatalog {
    public static let all: [ArchitectureDescriptor] = StudentArchitectures.registry.map {
        ArchitectureDescriptor(name: $0.name, summary: $0.summary, options: $0.optionTable + [ArchitectureOption.softmaxLayers])
    }

    public static var names: [String] { StudentArchitectures.names }

    public static func descriptor(named name: String) -> ArchitectureDescriptor? { all.first { $0.name == name } }
}
