/// Turns generated token ids into text as they come. A token may end inside a multi-byte UTF-8
/// character, so bytes of an incomplete trailing character are held back until the next token
/// completes it; a sequence that can never become valid is emitted as U+FFFD.
public struct StreamingDecoder {
    public let tokenizer: BPETokenizer
    public var skipSpecial: Bool
    private var pending: [UInt8] = []

    public init(tokenizer: BPETokenizer, skipSpecial: Bool = false) {
        self.tokenizer = tokenizer
        self.skipSpecial = skipSpecial
    }

    /// The text that `id` completes (possibly empty).
    public mutating func push(_ id: Int32) -> String {
        pending.append(contentsOf: tokenizer.decodeBytes([id], skipSpecial: skipSpecial))
        let keep = Self.incompleteSuffixLength(pending)
        let ready = pending[..<(pending.count - keep)]
        let text = String(decoding: ready, as: UTF8.self)
        pending.removeFirst(pending.count - keep)
        return text
    }

    /// Whatever is still held back (as U+FFFD if incomplete).
    public mutating func flush() -> String {
        defer { pending.removeAll() }
        return String(decoding: pending, as: UTF8.self)
    }

    /// Bytes at the end of `b` that start a UTF-8 character not yet complete (0 to 3).
    static func incompleteSuffixLength(_ b: [UInt8]) -> Int {
        let n = b.count
        var k = 1
        while k <= min(3, n) {
            let c = b[n - k]
            if c & 0xC0 == 0x80 { k += 1; continue }  // continuation byte: look further back
            let need = c >= 0xF0 && c < 0xF8 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1
            return need > k ? k : 0
        }
        return 0
    }
}
