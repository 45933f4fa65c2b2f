import Foundation

/// Finds a key written twice in one JSON object. JSONSerialization silently keeps the last of
/// repeated keys, so a tokenizer.json whose `model.vocab` spells one token with two ids would load
/// with one of them quietly dropped; this scan of the raw bytes catches it. It expects the bytes to
/// be JSON that JSONSerialization accepted, and answers nil (nothing found) on anything else.
struct RepeatedJSONKey {
    /// The repeated key and the raw text of its first and second values.
    struct Found: Equatable { var key: String; var first: String; var second: String }

    /// The first key repeated in the object reached from the top-level object through `path`.
    static func find(in data: Data, at path: [String]) -> Found? {
        var scanner = RepeatedJSONKey(bytes: [UInt8](data))
        return scanner.object(path[...])
    }

    let bytes: [UInt8]
    var i = 0

    /// Scans the object at `i` to its end; inside it, follows `path` (or, at its end, compares keys).
    mutating func object(_ path: ArraySlice<String>) -> Found? {
        skipSpace()
        guard peek == UInt8(ascii: "{") else { return nil }
        i += 1
        var values: [String: String] = [:]
        var found: Found?
        while true {
            skipSpace()
            if peek == UInt8(ascii: "}") { i += 1; return found }
            guard let key = string() else { return found }
            skipSpace()
            guard peek == UInt8(ascii: ":") else { return found }
            i += 1
            skipSpace()
            if path.isEmpty {
                let start = i
                guard skipValue() else { return found }
                let text = String(decoding: bytes[start..<i], as: UTF8.self)
                if found == nil, let first = values.updateValue(text, forKey: key) {
                    found = Found(key: key, first: first, second: text)
                }
            } else if key == path.first, peek == UInt8(ascii: "{") {
                let inner = object(path.dropFirst())
                found = found ?? inner
            } else {
                guard skipValue() else { return found }
            }
            skipSpace()
            if peek == UInt8(ascii: ",") { i += 1 }
        }
    }

    var peek: UInt8? { i < bytes.count ? bytes[i] : nil }

    mutating func skipSpace() {
        while let c = peek, c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D { i += 1 }
    }

    /// The string at `i`, unescaped (so that "\u0041" and "A" are the same key).
    mutating func string() -> String? {
        guard peek == UInt8(ascii: "\"") else { return nil }
        i += 1
        var out: [UInt8] = []
        while let c = peek {
            i += 1
            if c == UInt8(ascii: "\"") { return String(decoding: out, as: UTF8.self) }
            guard c == UInt8(ascii: "\\") else { out.append(c); continue }
            guard let e = peek else { return nil }
            i += 1
            switch e {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                guard var unit = hex4() else { return nil }
                // A surrogate pair is two escapes for one scalar (a lone surrogate becomes U+FFFD).
                if (0xD800..<0xDC00).contains(unit), peek == UInt8(ascii: "\\"), i + 1 < bytes.count,
                   bytes[i + 1] == UInt8(ascii: "u") {
                    i += 2
                    guard let low = hex4() else { return nil }
                    unit = (0xDC00..<0xE000).contains(low) ? 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00) : 0xFFFD
                }
                out.append(contentsOf: Array(String(Unicode.Scalar(unit).map(Character.init) ?? "\u{FFFD}").utf8))
            default: out.append(e)   // \" \\ \/
            }
        }
        return nil
    }

    mutating func hex4() -> UInt32? {
        guard i + 4 <= bytes.count, let v = UInt32(String(decoding: bytes[i..<(i + 4)], as: UTF8.self), radix: 16) else { return nil }
        i += 4
        return v
    }

    /// Moves past the value at `i` (nesting is counted, not recursed into).
    mutating func skipValue() -> Bool {
        var depth = 0
        repeat {
            skipSpace()
            guard let c = peek else { return false }
            switch c {
            case UInt8(ascii: "\""): guard string() != nil else { return false }
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1; i += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1; i += 1
            case UInt8(ascii: ","), UInt8(ascii: ":"): i += 1
            default:
                while let d = peek, !" \t\r\n,:]}".utf8.contains(d) { i += 1 }
            }
        } while depth > 0
        return true
    }
}
