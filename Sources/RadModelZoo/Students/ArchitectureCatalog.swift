/// The student architectures a manifest may name, with the options each one accepts.
///
/// This is a plain data table (one entry per architecture) read by the manifest validator, the JSON
/// Schema generator and `rad` help texts. Implementations attach to these names elsewhere; adding an
/// architecture starts with adding its descriptor here. Option defaults follow the paper's final public
/// configs (spec §2.2, §2.3): RAD-RWKV6 has tokenshift, a full-rank gate, state balancing and no RoPE;
/// RAD-RWKV7 has RoPE, a low-rank gate and state balancing.
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
}

public enum ArchitectureCatalog {
    private static let loraRankLimit = 1 << 16
    private static let layerLimit = 1 << 12

    private static func rank(_ name: String, _ what: String) -> ArchitectureOption {
        ArchitectureOption(name: name, kind: .intOrAuto(max: loraRankLimit), defaultValue: .auto,
                           summary: "LoRA rank of the \(what); `auto` = calc_lora_rank from the hidden size (spec §2.1)")
    }
    private static let softmaxLayers = ArchitectureOption(
        name: "softmax_layers", kind: .int(max: layerLimit), defaultValue: .int(0),
        summary: "hybrid: keep the last N layers as the teacher's softmax attention (0 = pure RNN)")

    public static let all: [ArchitectureDescriptor] = [
        ArchitectureDescriptor(
            name: "rad-rwkv6",
            summary: "RAD-RWKV6 (RADFinch/QRWKV6): GLA-style RWKV-6 time mix with sigmoid gate and state balancing",
            options: [
                ArchitectureOption(name: "tokenshift", kind: .bool, defaultValue: .bool(true),
                                   summary: "Finch ddlerp tokenshift on the time-mix inputs"),
                ArchitectureOption(name: "gate", kind: .choice(["full", "low_rank", "none"]), defaultValue: .word("full"),
                                   summary: "output gate: full-rank linear, low-rank LoRA, or none"),
                ArchitectureOption(name: "state_balance", kind: .bool, defaultValue: .bool(true),
                                   summary: "k <- k*(1-w) state balancing; false = per-head GroupNorm on the output"),
                ArchitectureOption(name: "rope", kind: .bool, defaultValue: .bool(false),
                                   summary: "apply the teacher's RoPE to receptance and key"),
                rank("decay_lora_rank", "data-dependent decay"),
                rank("tokenshift_lora_rank", "tokenshift mix"),
                rank("gate_lora_rank", "gate (only with gate: low_rank)"),
                softmaxLayers,
            ]),
        ArchitectureDescriptor(
            name: "rad-rwkv7",
            summary: "RAD-RWKV7 (RADGoose/QRWKV7): RWKV-7 generalised delta rule without tokenshift or bonus",
            options: [
                ArchitectureOption(name: "rope", kind: .bool, defaultValue: .bool(true),
                                   summary: "apply the teacher's RoPE to receptance and key"),
                ArchitectureOption(name: "state_balance", kind: .bool, defaultValue: .bool(true),
                                   summary: "state balancing; false = per-head GroupNorm on the output"),
                ArchitectureOption(name: "gate", kind: .choice(["low_rank", "full"]), defaultValue: .word("low_rank"),
                                   summary: "output gate: low-rank LoRA or full-rank linear"),
                rank("decay_lora_rank", "decay"),
                rank("iclr_lora_rank", "in-context learning rate a"),
                rank("value_residual_lora_rank", "value residual mix"),
                rank("gate_lora_rank", "gate (only with gate: low_rank)"),
                softmaxLayers,
            ]),
        ArchitectureDescriptor(
            name: "qlinatt",
            summary: "QLinAtt baseline: linear attention with RoPE and a per-head LayerNorm instead of a denominator",
            options: [
                ArchitectureOption(name: "rope", kind: .bool, defaultValue: .bool(true),
                                   summary: "apply the teacher's RoPE to query and key"),
                softmaxLayers,
            ]),
    ]

    public static var names: [String] { all.map(\.name) }

    public static func descriptor(named name: String) -> ArchitectureDescriptor? { all.first { $0.name == name } }
}
