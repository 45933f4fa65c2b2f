/// A command line as a user can paste it back into a shell (words quoted where they need it).
enum ShellWords {
    static func commandLine(_ arguments: [String]) -> String {
        var words = arguments
        if let first = words.first, first.hasSuffix("/rad") { words[0] = "rad" }
        return words.map(quote).joined(separator: " ")
    }

    static func quote(_ word: String) -> String {
        let plain = !word.isEmpty && word.allSatisfy { $0.isLetter || $0.isNumber || "-_./=:,+@%".contains($0) }
        return plain ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
