import Foundation
import RadOps

/// A JSON value with one canonical text form: keys sorted, integers without a fraction, other numbers in
/// Swift's shortest round-trip form (`1e-05`, `0.95`). Cache keys are hashes of this text, so the form must
/// never change silently (a test pins exact keys).
public indirect enum CanonicalValue: Hashable, Sendable, CustomStringConvertible {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([CanonicalValue])
    case object([String: CanonicalValue])

    public var canonicalJSON: String {
        var out = ""
        write(to: &out, pretty: false, indent: "")
        return out
    }

    public var prettyJSON: String {
        var out = ""
        write(to: &out, pretty: true, indent: "")
        return out
    }

    public var description: String { canonicalJSON }

    /// A short human form for tables and messages: strings unquoted, everything else as JSON.
    public var display: String {
        if case .string(let s) = self { return s }
        return canonicalJSON
    }

    private func write(to out: inout String, pretty: Bool, indent: String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d):
            if d.isFinite && d == d.rounded() && abs(d) < 9.0e15 { out += String(Int64(d)) }
            else if d.isFinite { out += "\(d)" }
            else { out += "null" }
        case .string(let s): out += JSONString.literal(s)
        case .array(let a):
            if a.isEmpty { out += "[]"; return }
            out += "["
            let inner = indent + "  "
            for (i, v) in a.enumerated() {
                if i > 0 { out += "," }
                if pretty { out += "\n" + inner }
                v.write(to: &out, pretty: pretty, indent: inner)
            }
            if pretty { out += "\n" + indent }
            out += "]"
        case .object(let o):
            if o.isEmpty { out += "{}"; return }
            out += "{"
            let inner = indent + "  "
            for (i, k) in o.keys.sorted().enumerated() {
                if i > 0 { out += "," }
                if pretty { out += "\n" + inner }
                out += JSONString.literal(k) + (pretty ? ": " : ":")
                o[k]!.write(to: &out, pretty: pretty, indent: inner)
            }
            if pretty { out += "\n" + indent }
            out += "}"
        }
    }

    public subscript(key: String) -> CanonicalValue? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    public var doubleValue: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }
    public var intValue: Int64? {
        switch self {
        case .int(let i): return i
        case .double(let d) where d == d.rounded() && abs(d) < 9e18: return Int64(d)
        default: return nil
        }
    }
    public var stringValue: String? { if case .string(let s) = self { return s }; return nil }
    public var boolValue: Bool? { if case .bool(let b) = self { return b }; return nil }
    public var arrayValue: [CanonicalValue]? { if case .array(let a) = self { return a }; return nil }
    public var objectValue: [String: CanonicalValue]? { if case .object(let o) = self { return o }; return nil }
}

/// A small strict JSON reader for the files rad writes itself (run records, artifact metadata). Written
/// here rather than through JSONSerialization so that integers and booleans keep their JSON types on
/// every platform (cache records compare them exactly).
public struct JSONReader {
    public struct Failure: Error, CustomStringConvertible { public var description: String }
    private let b: [UInt8]
    private var i = 0
    private var depth = 0

    public static func parse(_ data: Data) throws -> CanonicalValue {
        var r = JSONReader(b: Array(data))
        r.skip()
        let v = try r.value()
        r.skip()
        guard r.i == r.b.count else { throw Failure(description: "trailing bytes at offset \(r.i)") }
        return v
    }

    private init(b: [UInt8]) { self.b = b }

    private mutating func skip() { while i < b.count, [32, 9, 10, 13].contains(b[i]) { i += 1 } }

    private mutating func expect(_ word: String) throws {
        let w = Array(word.utf8)
        guard i + w.count <= b.count, Array(b[i..<i + w.count]) == w else { throw Failure(description: "expected \(word) at offset \(i)") }
        i += w.count
    }

    private mutating func value() throws -> CanonicalValue {
        guard i < b.count else { throw Failure(description: "unexpected end of JSON") }
        depth += 1
        defer { depth -= 1 }
        guard depth < 200 else { throw Failure(description: "JSON nested too deeply") }
        switch b[i] {
        case UInt8(ascii: "n"): try expect("null"); return .null
        case UInt8(ascii: "t"): try expect("true"); return .bool(true)
        case UInt8(ascii: "f"): try expect("false"); return .bool(false)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "["):
            i += 1; skip()
            var a: [CanonicalValue] = []
            if i < b.count, b[i] == UInt8(ascii: "]") { i += 1; return .array(a) }
            while true {
                skip(); a.append(try value()); skip()
                guard i < b.count else { throw Failure(description: "unterminated array") }
                if b[i] == UInt8(ascii: ",") { i += 1; continue }
                if b[i] == UInt8(ascii: "]") { i += 1; return .array(a) }
                throw Failure(description: "expected , or ] at offset \(i)")
            }
        case UInt8(ascii: "{"):
            i += 1; skip()
            var o: [String: CanonicalValue] = [:]
            if i < b.count, b[i] == UInt8(ascii: "}") { i += 1; return .object(o) }
            while true {
                skip()
                guard i < b.count, b[i] == UInt8(ascii: "\"") else { throw Failure(description: "expected a key at offset \(i)") }
                let k = try string(); skip()
                try expect(":"); skip()
                o[k] = try value(); skip()
                guard i < b.count else { throw Failure(description: "unterminated object") }
                if b[i] == UInt8(ascii: ",") { i += 1; continue }
                if b[i] == UInt8(ascii: "}") { i += 1; return .object(o) }
                throw Failure(description: "expected , or } at offset \(i)")
            }
        default:
            let start = i
            while i < b.count, "+-0123456789.eE".utf8.contains(b[i]) { i += 1 }
            let text = String(decoding: b[start..<i], as: UTF8.self)
            if let n = Int64(text) { return .int(n) }
            if let d = Double(text), d.isFinite { return .double(d) }
            throw Failure(description: "invalid JSON value at offset \(start)")
        }
    }

    private mutating func string() throws -> String {
        i += 1
        var out = [UInt8]()
        while i < b.count {
            let c = b[i]; i += 1
            if c == UInt8(ascii: "\"") { return String(decoding: out, as: UTF8.self) }
            if c != UInt8(ascii: "\\") { out.append(c); continue }
            guard i < b.count else { break }
            let e = b[i]; i += 1
            switch e {
            case UInt8(ascii: "n"): out.append(10)
            case UInt8(ascii: "t"): out.append(9)
            case UInt8(ascii: "r"): out.append(13)
            case UInt8(ascii: "b"): out.append(8)
            case UInt8(ascii: "f"): out.append(12)
            case UInt8(ascii: "u"):
                guard i + 4 <= b.count, let u = UInt32(String(decoding: b[i..<i + 4], as: UTF8.self), radix: 16) else { throw Failure(description: "bad \\u escape") }
                i += 4
                out.append(contentsOf: Array(String(Unicode.Scalar(u) ?? "?").utf8))
            default: out.append(e)
            }
        }
        throw Failure(description: "unterminated string")
    }
}
