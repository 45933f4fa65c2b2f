/// "did you mean" suggestions from the Levenshtein distance between what was written and what is allowed.
public enum Suggestions {
    public static func editDistance(_ a: String, _ b: String) -> Int {
        let x = Array(a.lowercased().unicodeScalars), y = Array(b.lowercased().unicodeScalars)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var prev = Array(0...y.count), cur = [Int](repeating: 0, count: y.count + 1)
        for i in 1...x.count {
            cur[0] = i
            for j in 1...y.count {
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
            }
            swap(&prev, &cur)
        }
        return prev[y.count]
    }

    /// The closest candidate if it is close enough to be a plausible typo (at most a third of the word), or
    /// else the shortest candidate of which the word is a whole dash- or underscore-separated part
    /// (`rwkv6` → `rad-rwkv6`, `hellaswag` → `hellaswag_mc`).
    public static func closest(to word: String, in candidates: [String]) -> String? {
        guard word.count <= 200, !word.isEmpty else { return nil }
        let limit = max(2, word.count / 3)
        let scored = candidates.map { ($0, editDistance(word, $0)) }.filter { $0.1 <= limit }
        if let best = scored.min(by: { $0.1 < $1.1 })?.0 { return best }
        let w = word.lowercased()
        return candidates.filter { c in
            c.lowercased().split(whereSeparator: { $0 == "-" || $0 == "_" }).contains { $0 == Substring(w) }
        }.min { $0.count < $1.count }
    }

    /// `; did you mean 'x'?` or the empty string.
    public static func didYouMean(_ word: String, _ candidates: [String]) -> String {
        if let c = closest(to: word, in: candidates) { return "; did you mean '\(c)'?" }
        return ""
    }
}
