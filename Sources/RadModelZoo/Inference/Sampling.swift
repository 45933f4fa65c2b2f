import Foundation

/// How the next token is chosen from logits.
public struct SamplingOptions: Sendable {
    /// 0 means greedy (argmax).
    public var temperature: Float
    /// Nucleus sampling: keep the smallest set of tokens whose probability mass reaches `topP`.
    public var topP: Float
    public var seed: UInt64

    public init(temperature: Float = 0, topP: Float = 1, seed: UInt64 = 0) {
        self.temperature = temperature; self.topP = topP; self.seed = seed
    }
}

/// Chooses tokens from logit rows; deterministic for a given seed.
public struct TokenSampler {
    public let options: SamplingOptions
    private var rng: UInt64

    public init(_ options: SamplingOptions) {
        self.options = options
        rng = options.seed &+ 0x9E37_79B9_7F4A_7C15
    }

    private mutating func uniform() -> Double {
        rng &+= 0x9E37_79B9_7F4A_7C15
        var z = rng
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Double(z >> 11) / Double(1 << 53)
    }

    /// The next token for one row of `vocab` logits.
    public mutating func sample(_ logits: UnsafePointer<Float>, vocab: Int) -> Int32 {
        if options.temperature <= 0 {
            var best = 0
            for i in 1..<vocab where logits[i] > logits[best] { best = i }
            return Int32(best)
        }
        let t = Double(options.temperature)
        var mx = -Double.infinity
        for i in 0..<vocab { mx = max(mx, Double(logits[i])) }
        var probs = [(Int, Double)]()
        probs.reserveCapacity(vocab)
        var total = 0.0
        for i in 0..<vocab {
            let p = exp((Double(logits[i]) - mx) / t)
            probs.append((i, p)); total += p
        }
        probs.sort { $0.1 > $1.1 }
        var kept = probs.count
        if options.topP < 1 {
            var mass = 0.0
            for (j, entry) in probs.enumerated() {
                mass += entry.1 / total
                if mass >= Double(options.topP) { kept = j + 1; break }
            }
        }
        let keptMass = probs[..<kept].reduce(0) { $0 + $1.1 }
        var u = uniform() * keptMass
        for entry in probs[..<kept] {
            u -= entry.1
            if u <= 0 { return Int32(entry.0) }
        }
        return Int32(probs[kept - 1].0)
    }
}
