/// The pre-tokenisers of byte-level BPE models: they cut text into words that BPE encodes one by
/// one. Each is a hand-written scanner equivalent to the model's regex (leftmost-first alternation
/// with backtracking, run with find-all), because Swift Regex is far too slow for corpus encoding.
///
/// - gpt2:   `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
/// - qwen2:  `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
/// - llama3: as qwen2 with `\p{N}{1,3}` (numbers in groups of up to three)
/// - smollm: every number character split off on its own first, then gpt2 on the pieces between.
public enum PreTokenizer: String, Sendable, CaseIterable {
    case gpt2, qwen2, llama3, smollm

    public static let gpt2Pattern = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
    public static let qwen2Pattern = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    public static let llama3Pattern = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

    /// Character classes of a scalar: `\p{L}`, `\p{N}`, `\s` (Unicode White_Space), or none.
    public static let letter: UInt8 = 1, number: UInt8 = 2, space: UInt8 = 4

    static let asciiClasses: [UInt8] = (0..<128).map { classifyByProperties(Unicode.Scalar(UInt8($0))) }

    public static func classify(_ s: Unicode.Scalar) -> UInt8 {
        s.value < 128 ? asciiClasses[Int(s.value)] : classifyByProperties(s)
    }

    static func classifyByProperties(_ s: Unicode.Scalar) -> UInt8 {
        if s.properties.isWhitespace { return space }
        switch s.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return letter
        case .decimalNumber, .letterNumber, .otherNumber: return number
        default: return 0
        }
    }

    /// Calls `emit(start, end)` for each word of `cps[0..<n]` (scalar values with their classes).
    public func split(_ cps: UnsafePointer<UInt32>, _ cls: UnsafePointer<UInt8>, count n: Int,
                      _ emit: (Int, Int) -> Void) {
        switch self {
        case .gpt2: Self.scanGPT2(cps, cls, 0, n, emit)
        case .qwen2: Self.scanLlama3(cps, cls, 0, n, maxDigits: 1, emit)
        case .llama3: Self.scanLlama3(cps, cls, 0, n, maxDigits: 3, emit)
        case .smollm:
            var start = 0
            for i in 0..<n where cls[i] == Self.number {
                if start < i { Self.scanGPT2(cps, cls, start, i, emit) }
                emit(i, i + 1)
                start = i + 1
            }
            if start < n { Self.scanGPT2(cps, cls, start, n, emit) }
        }
    }

    @inline(__always) static func lowerASCII(_ c: UInt32) -> UInt32 { (c >= 65 && c <= 90) ? c + 32 : c }

    /// Length of a contraction ('s 't 're 've 'm 'll 'd) at i, or 0.
    @inline(__always)
    static func contraction(_ cps: UnsafePointer<UInt32>, _ i: Int, _ end: Int, caseInsensitive: Bool) -> Int {
        guard cps[i] == 0x27, i + 1 < end else { return 0 }
        let fold: (UInt32) -> UInt32 = caseInsensitive ? lowerASCII : { $0 }
        let c1 = fold(cps[i + 1])
        if c1 == 0x73 || c1 == 0x74 || c1 == 0x6D || c1 == 0x64 { return 2 }  // s t m d
        if i + 2 < end {
            let c2 = fold(cps[i + 2])
            if (c1 == 0x72 && c2 == 0x65) || (c1 == 0x76 && c2 == 0x65) || (c1 == 0x6C && c2 == 0x6C) { return 3 }  // re ve ll
        }
        return 0
    }

    /// End of the whitespace run starting at i.
    @inline(__always) static func spaceRunEnd(_ cls: UnsafePointer<UInt8>, _ i: Int, _ end: Int) -> Int {
        var j = i
        while j < end && cls[j] == space { j += 1 }
        return j
    }

    /// `\s+(?!\S)|\s+` at a whitespace character: the run, less its last character when a
    /// non-space follows (that character then prefixes the next word), but at least one character.
    @inline(__always) static func trailingSpaceEnd(_ cls: UnsafePointer<UInt8>, _ i: Int, _ end: Int) -> Int {
        let j = spaceRunEnd(cls, i, end)
        return (j == end || j - i == 1) ? j : j - 1
    }

    static func scanGPT2(_ cps: UnsafePointer<UInt32>, _ cls: UnsafePointer<UInt8>, _ begin: Int, _ end: Int,
                         _ emit: (Int, Int) -> Void) {
        var i = begin
        while i < end {
            let c = cls[i]
            let k = contraction(cps, i, end, caseInsensitive: false)
            if k > 0 { emit(i, i + k); i += k; continue }
            // ` ?X+` for X = letters, numbers, others: an optional leading space joins the run.
            var start = i
            if cps[i] == 0x20 && i + 1 < end && cls[i + 1] != space { start = i + 1 }
            let x = cls[start]
            if x != space {
                var j = start + 1
                while j < end && cls[j] == x { j += 1 }
                emit(i, j)
                i = j
                continue
            }
            _ = c
            let j = trailingSpaceEnd(cls, i, end)
            emit(i, j)
            i = j
        }
    }

    static func scanLlama3(_ cps: UnsafePointer<UInt32>, _ cls: UnsafePointer<UInt8>, _ begin: Int, _ end: Int,
                           maxDigits: Int, _ emit: (Int, Int) -> Void) {
        var i = begin
        while i < end {
            let c = cls[i]
            let k = contraction(cps, i, end, caseInsensitive: true)
            if k > 0 { emit(i, i + k); i += k; continue }
            // `[^\r\n\p{L}\p{N}]?\p{L}+`
            let isCRLF = cps[i] == 0x0D || cps[i] == 0x0A
            if c == letter || (c != number && !isCRLF && i + 1 < end && cls[i + 1] == letter) {
                var j = i + 1
                while j < end && cls[j] == letter { j += 1 }
                emit(i, j)
                i = j
                continue
            }
            // `\p{N}{1,maxDigits}`
            if c == number {
                var j = i + 1
                while j < end && j - i < maxDigits && cls[j] == number { j += 1 }
                emit(i, j)
                i = j
                continue
            }
            // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
            var start = i
            if cps[i] == 0x20 && i + 1 < end && cls[i + 1] == 0 { start = i + 1 }
            if cls[start] == 0 {
                var j = start + 1
                while j < end && cls[j] == 0 { j += 1 }
                while j < end && (cps[j] == 0x0D || cps[j] == 0x0A) { j += 1 }
                emit(i, j)
                i = j
                continue
            }
            // `\s*[\r\n]+`: up to and including the last newline of the whitespace run.
            let run = spaceRunEnd(cls, i, end)
            var lastNewline = -1
            var p = run - 1
            while p >= i {
                if cps[p] == 0x0D || cps[p] == 0x0A { lastNewline = p; break }
                p -= 1
            }
            if lastNewline >= 0 {
                emit(i, lastNewline + 1)
                i = lastNewline + 1
                continue
            }
            let j = trailingSpaceEnd(cls, i, end)
            emit(i, j)
            i = j
        }
    }
}
