import Foundation

/// A text file that is not what rad scores or trains on: unreadable, not UTF-8, or binary. Invalid
/// input (exit 2), naming the file and, for bad bytes, the offset of the first one.
public struct TextInputError: InvalidInputError, Equatable {
    public var file: String
    public var message: String
    public init(file: String, _ message: String) { self.file = file; self.message = message }
    public var description: String { "\(file): \(message)" }
}

/// The one decoder of text a user hands rad (`rad score --text`, `files:` and `jsonl:` sources,
/// benchmark requests). Decoding with replacement would score U+FFFD where the file has bytes rad
/// never saw, and a NUL byte means a binary file given by mistake: both are refused instead.
public enum UserText {
    /// The contents of `path` as a String, checked by `decode`.
    public static func read(_ path: String) throws -> String {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw TextInputError(file: path, "no such file")
        }
        guard !isDir.boolValue, let data = FileManager.default.contents(atPath: path) else {
            throw TextInputError(file: path, "cannot read (give a text file)")
        }
        return try decode(data, file: path)
    }

    /// `bytes` as a String, after `check`.
    public static func decode(_ bytes: Data, file: String) throws -> String {
        try check(bytes, file: file)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Throws naming `file` and the offset of the first bad byte unless `bytes` are well-formed UTF-8
    /// without NUL bytes.
    public static func check(_ bytes: Data, file: String) throws {
        try bytes.withUnsafeBytes { raw in
            let b = raw.bindMemory(to: UInt8.self)
            if let (offset, problem) = firstProblem(b) {
                switch problem {
                case .nul:
                    throw TextInputError(file: file, "binary data, not text: NUL byte at offset \(offset)")
                case .invalid, .cutShort, .endsInside:
                    let why = problem == .cutShort ? " (a character cut short)"
                        : problem == .endsInside ? " (the file ends inside a character)" : ""
                    throw TextInputError(file: file, "not UTF-8 text: invalid byte \(hex(b[offset])) at offset \(offset)\(why)")
                }
            }
        }
    }

    /// A NUL byte; a byte that starts no character; a start byte whose continuation bytes are wrong
    /// (or make an overlong form, a surrogate or a value past U+10FFFF); a start byte at the very end.
    enum Problem { case nul, invalid, cutShort, endsInside }

    /// Where the first NUL byte or ill-formed UTF-8 sequence starts (RFC 3629: no overlong forms, no
    /// surrogates, nothing past U+10FFFF), and which it is; nil for clean text.
    static func firstProblem(_ b: UnsafeBufferPointer<UInt8>) -> (Int, Problem)? {
        let n = b.count
        var i = 0
        while i < n {
            let c = b[i]
            if c < 0x80 {
                if c == 0 { return (i, .nul) }
                i += 1
                continue
            }
            // Sequence length and the allowed range of the second byte (the rest are 0x80...0xBF).
            let length: Int, second: ClosedRange<UInt8>
            switch c {
            case 0xC2...0xDF: length = 2; second = 0x80...0xBF
            case 0xE0: length = 3; second = 0xA0...0xBF
            case 0xE1...0xEC, 0xEE...0xEF: length = 3; second = 0x80...0xBF
            case 0xED: length = 3; second = 0x80...0x9F
            case 0xF0: length = 4; second = 0x90...0xBF
            case 0xF1...0xF3: length = 4; second = 0x80...0xBF
            case 0xF4: length = 4; second = 0x80...0x8F
            default: return (i, .invalid)
            }
            for k in 1..<length {
                guard i + k < n else { return (i, .endsInside) }
                let ok = k == 1 ? second.contains(b[i + k]) : (0x80...0xBF).contains(b[i + k])
                if !ok { return (i, .cutShort) }
            }
            i += length
        }
        return nil
    }

    static func hex(_ byte: UInt8) -> String { String(format: "0x%02X", byte) }
}
