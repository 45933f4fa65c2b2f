/// The reference code's training-window order (spec §1.7): sample k reads the window of T+1 tokens
/// starting at `i·T` with `i = (F · (k+1)³) mod P`, where P is the largest prime ≡ 2 (mod 3) below
/// `tokens/T − 1` and F = ⌊P·(√5−1)/2⌋. Cubing is a permutation modulo such a prime, so windows come in
/// a pseudo-random order without repeats for P samples; after that the order repeats (a new epoch).
public struct MagicPrimeSampler: Sendable, Equatable {
    public let windowLength: Int
    public let prime: UInt64
    public let multiplier: UInt64

    /// nil when the stream holds fewer than a handful of windows (no suitable prime).
    public init?(tokenCount: Int, windowLength t: Int) {
        precondition(t > 0, "window length must be positive")
        let limit = tokenCount / t - 1
        guard limit > 5 else { return nil }
        var p = limit - 1
        while p >= 2 && !(p % 3 == 2 && Self.isPrime(p)) { p -= 1 }
        guard p >= 2 else { return nil }
        windowLength = t
        prime = UInt64(p)
        multiplier = UInt64((Double(p) * (5.0.squareRoot() - 1) / 2).rounded(.down))
    }

    /// Distinct windows before the order repeats.
    public var windowCount: Int { Int(prime) }

    /// Start token of the window for global sample index `k` (0-based).
    public func windowStart(sample k: Int) -> Int {
        let ii = UInt64(k + 1) % prime
        let cube = ii * ii % prime * ii % prime
        return Int(multiplier % prime * cube % prime) * windowLength
    }

    static func isPrime(_ n: Int) -> Bool {
        if n < 2 { return false }
        if n % 2 == 0 { return n == 2 }
        var d = 3
        while d * d <= n { if n % d == 0 { return false }; d += 2 }
        return true
    }
}
