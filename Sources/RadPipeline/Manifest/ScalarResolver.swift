import Foundation

/// How a YAML scalar reads under the YAML 1.2 core schema, which is also how manifests map to JSON for the
/// JSON Schema: plain `true`, `12`, `1e-5`, `null` are typed; quoted scalars are always strings.
public enum ScalarValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    /// An integer literal that does not fit in 64 bits.
    case hugeInt(String)
    case float(Double)
    case string(String)

    public static func resolve(_ text: String, plain: Bool) -> ScalarValue {
        guard plain else { return .string(text) }
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .float(.infinity)
        case "-.inf", "-.Inf", "-.INF": return .float(-.infinity)
        case ".nan", ".NaN", ".NAN": return .float(.nan)
        default: break
        }
        if matches(text, intPattern) {
            if let v = Int64(text) { return .int(v) }
            return .hugeInt(text)
        }
        if text.hasPrefix("0x"), text.count > 2, let v = Int64(text.dropFirst(2), radix: 16) { return .int(v) }
        if text.hasPrefix("0o"), text.count > 2, let v = Int64(text.dropFirst(2), radix: 8) { return .int(v) }
        if matches(text, floatPattern), let d = Double(text) { return .float(d) }
        return .string(text)
    }

    static let intPattern = try! NSRegularExpression(pattern: "^[-+]?[0-9]+$")
    static let floatPattern = try! NSRegularExpression(pattern: "^[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?$")

    static func matches(_ s: String, _ re: NSRegularExpression) -> Bool {
        re.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) != nil
    }

    /// Words for messages: `the number 12`, `the string 'x'`.
    public var described: String {
        switch self {
        case .null: return "nothing (null)"
        case .bool(let b): return "the boolean \(b)"
        case .int(let i): return "the number \(i)"
        case .hugeInt(let s): return "the number \(s.prefix(40))"
        case .float(let d): return "the number \(d)"
        case .string(let s): return "'\(s.count > 60 ? String(s.prefix(60)) + "…" : s)'"
        }
    }
}

/// Sizes as users write them: `100M`, `2.5k`, `1_000_000`, `1e6`, `3B` (k, M, G or B, T: powers of 1000).
public enum SizeParser {
    public static let pattern = "^[0-9][0-9_]*(\\.[0-9_]+)?([eE][+]?[0-9]+)?[kKMGBT]?$"
    static let regex = try! NSRegularExpression(pattern: pattern)

    public enum Outcome: Equatable { case value(Int64), notASize, notWhole, tooLarge }

    public static func parse(_ text: String) -> Outcome {
        guard ScalarValue.matches(text, regex) else { return .notASize }
        var body = text.replacingOccurrences(of: "_", with: "")
        var scale = 1.0
        if let last = body.last, "kKMGBT".contains(last) {
            body.removeLast()
            switch last {
            case "k", "K": scale = 1e3
            case "M": scale = 1e6
            case "G", "B": scale = 1e9
            default: scale = 1e12
            }
        }
        guard let d = Double(body) else { return .notASize }
        let v = d * scale
        guard v.isFinite, v < 9.0e15 else { return .tooLarge }
        // `2.5k` is 2500 exactly, but `0.3k` is 300.00000000000006 in binary floating point: allow that noise.
        guard abs(v - v.rounded()) <= 1e-9 * max(1, v) else { return .notWhole }
        return .value(Int64(v.rounded()))
    }
}
