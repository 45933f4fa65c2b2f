import Foundation

/// A tokenizer problem (bad tokenizer.json / GGUF vocabulary), naming the source and what is wrong.
public struct TokenizerError: Error, CustomStringConvertible, Equatable {
    public var origin: String
    public var message: String
    public init(origin: String, _ message: String) {
        self.origin = origin
        self.message = message
    }
    public var description: String { "\(origin): \(message)" }
}

/// Byte-level BPE (GPT-2 family: SmolLM2, Qwen2, Llama 3). Text is split on added/special tokens,
/// cut into words by the pre-tokeniser, each word's UTF-8 bytes start as single-byte tokens and
/// the adjacent pair with the lowest merge rank is merged (leftmost first) until none applies.
/// Encoded words are cached: corpus text repeats its words, and the cache makes encoding ~10x faster.
public final class BPETokenizer: @unchecked Sendable {
    public struct AddedToken: Sendable, Equatable {
        public var content: String
        public var id: Int32
        public var special: Bool
        public init(content: String, id: Int32, special: Bool) {
            self.content = content
            self.id = id
            self.special = special
        }
    }

    public let origin: String
    public let preTokenizer: PreTokenizer
    /// Apply NFC normalisation first (Qwen2's tokenizer.json asks for it).
    public let normalizeNFC: Bool
    /// Llama 3: a word that is itself in the vocabulary is emitted as that token without merging.
    public let ignoreMerges: Bool
    public let addedTokens: [AddedToken]
    public internal(set) var bosId: Int32?
    public internal(set) var eosId: Int32?
    public let addBos: Bool
    public let mergeCount: Int

    /// Vocabulary spelling (byte-level characters) of each id.
    public let tokenStrings: [String]
    /// Raw bytes each id decodes to.
    let tokenBytes: [[UInt8]]
    let isSpecial: [Bool]
    let vocab: [String: Int32]
    public let byteTokens: [Int32]
    /// (left << 32 | right) -> (rank, merged id)
    public let merges: [UInt64: (rank: Int32, id: Int32)]
    /// added tokens by first scalar, longest first.
    let addedByFirst: [UInt32: [(scalars: [UInt32], id: Int32)]]

    private var cache: [[UInt8]: [Int32]] = [:]
    private let lock = NSLock()
    static let cacheLimit = 200_000

    public var vocabSize: Int { tokenStrings.count }

    /// - Parameters:
    ///   - vocab: vocabulary spelling -> id (byte-level characters for ordinary tokens).
    ///   - merges: pairs of vocabulary spellings in rank order.
    public init(origin: String, vocab: [String: Int32], merges: [(String, String)], addedTokens: [AddedToken],
                preTokenizer: PreTokenizer, normalizeNFC: Bool = false, ignoreMerges: Bool = false,
                bosId: Int32? = nil, eosId: Int32? = nil, addBos: Bool = false) throws {
        self.origin = origin
        self.preTokenizer = preTokenizer
        self.normalizeNFC = normalizeNFC
        self.ignoreMerges = ignoreMerges
        self.bosId = bosId
        self.eosId = eosId
        self.addBos = addBos
        self.addedTokens = addedTokens
        // One id per spelling and one spelling per id: which one a conflicting file meant cannot be
        // known, and guessing would tokenise differently from the model's training. An added token
        // repeating a vocabulary entry (same spelling, same id) is common and fine.
        var vocab = vocab
        for t in addedTokens {
            if let id = vocab[t.content], id != t.id {
                throw TokenizerError(origin: origin, "token '\(t.content)' has two ids, \(min(id, t.id)) and \(max(id, t.id))")
            }
            vocab[t.content] = t.id
        }
        let maxId = vocab.values.max() ?? -1
        guard maxId < 10_000_000, vocab.values.allSatisfy({ $0 >= 0 }) else {
            throw TokenizerError(origin: origin, "token ids must lie in 0..<10,000,000")
        }
        var strings = [String](repeating: "", count: Int(maxId) + 1)
        var seen = [Bool](repeating: false, count: Int(maxId) + 1)
        for (s, id) in vocab {
            if seen[Int(id)] {
                let (a, b) = (min(s, strings[Int(id)]), max(s, strings[Int(id)]))
                throw TokenizerError(origin: origin, "token id \(id) is given to two tokens, '\(a)' and '\(b)'")
            }
            strings[Int(id)] = s
            seen[Int(id)] = true
        }
        var special = [Bool](repeating: false, count: strings.count)
        var bytes = strings.map { ByteLevel.decode($0) ?? Array($0.utf8) }
        for t in addedTokens {
            special[Int(t.id)] = t.special
            bytes[Int(t.id)] = Array(t.content.utf8)
        }
        tokenStrings = strings
        tokenBytes = bytes
        isSpecial = special
        self.vocab = vocab
        byteTokens = (0..<256).map { vocab[String(ByteLevel.byteToScalar[$0])] ?? -1 }

        var table: [UInt64: (rank: Int32, id: Int32)] = [:]
        table.reserveCapacity(merges.count)
        for (rank, (a, b)) in merges.enumerated() {
            guard let ia = vocab[a], let ib = vocab[b], let merged = vocab[a + b] else {
                throw TokenizerError(origin: origin, "merge \(rank) '\(a) \(b)' uses a token that is not in the vocabulary")
            }
            let key = UInt64(UInt32(ia)) << 32 | UInt64(UInt32(ib))
            if table[key] == nil { table[key] = (Int32(rank), merged) }
        }
        self.merges = table
        mergeCount = merges.count

        var byFirst: [UInt32: [(scalars: [UInt32], id: Int32)]] = [:]
        for t in addedTokens {
            let s = t.content.unicodeScalars.map(\.value)
            guard let first = s.first else { continue }
            byFirst[first, default: []].append((s, t.id))
        }
        for k in byFirst.keys { byFirst[k]!.sort { $0.scalars.count > $1.scalars.count } }
        addedByFirst = byFirst
    }

    // MARK: encoding

    /// Token ids of `text`. Added/special tokens written in the text are matched as such when
    /// `parseSpecial` (as HF tokenizers do); BOS is prepended when `addBos` (nil: the model's default).
    public func encode(_ text: String, parseSpecial: Bool = true, addBos: Bool? = nil) -> [Int32] {
        var out: [Int32] = []
        if addBos ?? self.addBos, let bos = bosId { out.append(bos) }
        let source = normalizeNFC ? text.precomposedStringWithCanonicalMapping : text
        var cps: [UInt32] = []
        cps.reserveCapacity(source.utf8.count)
        for s in source.unicodeScalars { cps.append(s.value) }
        var cls = [UInt8](repeating: 0, count: cps.count)
        for i in 0..<cps.count {
            let v = cps[i]
            cls[i] = v < 128 ? PreTokenizer.asciiClasses[Int(v)] : PreTokenizer.classify(Unicode.Scalar(v)!)
        }
        var wordBytes: [UInt8] = []
        cps.withUnsafeBufferPointer { cp in
            cls.withUnsafeBufferPointer { cl in
                let cpp = cp.baseAddress!, clp = cl.baseAddress!
                func encodeSegment(_ a: Int, _ b: Int) {
                    guard a < b else { return }
                    preTokenizer.split(cpp + a, clp + a, count: b - a) { s, e in
                        wordBytes.removeAll(keepingCapacity: true)
                        for k in (a + s)..<(a + e) { Self.appendUTF8(cpp[k], to: &wordBytes) }
                        encodeWord(wordBytes, into: &out)
                    }
                }
                var segmentStart = 0
                var i = 0
                let n = cp.count
                while i < n {
                    if parseSpecial, let candidates = addedByFirst[cpp[i]],
                       let match = candidates.first(where: { c in
                           c.scalars.count <= n - i && (0..<c.scalars.count).allSatisfy { cpp[i + $0] == c.scalars[$0] }
                       }) {
                        encodeSegment(segmentStart, i)
                        out.append(match.id)
                        i += match.scalars.count
                        segmentStart = i
                    } else {
                        i += 1
                    }
                }
                encodeSegment(segmentStart, n)
            }
        }
        return out
    }

    @inline(__always) static func appendUTF8(_ v: UInt32, to out: inout [UInt8]) {
        if v < 0x80 {
            out.append(UInt8(v))
        } else if v < 0x800 {
            out.append(UInt8(0xC0 | (v >> 6))); out.append(UInt8(0x80 | (v & 0x3F)))
        } else if v < 0x10000 {
            out.append(UInt8(0xE0 | (v >> 12))); out.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (v & 0x3F)))
        } else {
            out.append(UInt8(0xF0 | (v >> 18))); out.append(UInt8(0x80 | ((v >> 12) & 0x3F)))
            out.append(UInt8(0x80 | ((v >> 6) & 0x3F))); out.append(UInt8(0x80 | (v & 0x3F)))
        }
    }

    func encodeWord(_ bytes: [UInt8], into out: inout [Int32]) {
        lock.lock()
        let hit = cache[bytes]
        lock.unlock()
        if let hit { out.append(contentsOf: hit); return }
        let ids = bpe(bytes)
        lock.lock()
        if cache.count >= Self.cacheLimit { cache.removeAll(keepingCapacity: true) }
        cache[bytes] = ids
        lock.unlock()
        out.append(contentsOf: ids)
    }

    /// BPE of one word. Keeps the rank of every adjacent pair, so each merge is a scan over small
    /// integers plus two table lookups for the pairs it creates.
    public func bpe(_ bytes: [UInt8]) -> [Int32] {
        if ignoreMerges, let id = vocab[ByteLevel.encode(bytes)] { return [id] }
        let syms = bytes.map { byteTokens[Int($0)] }.filter { $0 >= 0 }
        if syms.count < 2 { return syms }
        if syms.count > Self.heapThreshold { return BPEMergeHeap.merge(syms, merges: merges) }
        return Self.mergeByScan(syms, merges: merges)
    }

    /// Words longer than this (in bytes) merge through `BPEMergeHeap`.
    static let heapThreshold = 64

    /// The quadratic pair scan, fastest for ordinary words; `BPEMergeHeap` is the long-word path.
    public static func mergeByScan(_ symbols: [Int32], merges: [UInt64: (rank: Int32, id: Int32)]) -> [Int32] {
        var syms = symbols
        if syms.count < 2 { return syms }
        func pair(_ k: Int) -> (rank: Int32, id: Int32) {
            merges[UInt64(UInt32(syms[k])) << 32 | UInt64(UInt32(syms[k + 1]))] ?? (Int32.max, -1)
        }
        var ranks = (0..<(syms.count - 1)).map { pair($0) }
        while true {
            var best = -1
            var bestRank = Int32.max
            for k in 0..<ranks.count where ranks[k].rank < bestRank {
                bestRank = ranks[k].rank
                best = k
            }
            if best < 0 { break }
            syms[best] = ranks[best].id
            syms.remove(at: best + 1)
            ranks.remove(at: best)
            if best < ranks.count { ranks[best] = pair(best) }
            if best > 0 { ranks[best - 1] = pair(best - 1) }
        }
        return syms
    }

    // MARK: decoding

    public func isSpecialToken(_ id: Int32) -> Bool { id >= 0 && Int(id) < isSpecial.count && isSpecial[Int(id)] }

    /// The raw bytes of `ids` (ids outside the vocabulary are skipped).
    public func decodeBytes(_ ids: [Int32], skipSpecial: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        for id in ids where id >= 0 && Int(id) < tokenBytes.count {
            if skipSpecial && isSpecial[Int(id)] { continue }
            out.append(contentsOf: tokenBytes[Int(id)])
        }
        return out
    }

    /// Text of `ids`; invalid UTF-8 (a token sequence cut inside a character) becomes U+FFFD.
    public func decode(_ ids: [Int32], skipSpecial: Bool = false) -> String {
        String(decoding: decodeBytes(ids, skipSpecial: skipSpecial), as: UTF8.self)
    }

    public func id(of token: String) -> Int32? { vocab[token] }

    /// One line describing the tokenizer, for `rad inspect`.
    public var summary: String {
        func name(_ id: Int32?) -> String {
            guard let id, Int(id) < tokenStrings.count else { return "none" }
            return "\(id) \(tokenStrings[Int(id)])"
        }
        return "byte-level BPE, \(vocabSize) tokens, \(mergeCount) merges, \(addedTokens.count) added, pre-tokenizer \(preTokenizer.rawValue), bos \(name(bosId)), eos \(name(eosId))\(addBos ? ", adds bos" : "")"
    }
}
