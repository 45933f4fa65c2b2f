import Foundation

/// The memory a rad process may still allocate: `MemAvailable` from /proc/meminfo, lowered to what the
/// cgroup leaves (`memory.max` minus `memory.current`) when one limits it. `RAD_MEMORY_LIMIT` (bytes,
/// or a count like 8G) replaces both, for tests and for leaving room to other work.
public struct AvailableMemory: Sendable, Equatable {
    public var bytes: Int64
    /// Where the figure comes from, for messages: "this machine has 22.8 GiB available".
    public var origin: Origin
    public enum Origin: Sendable, Equatable { case machine, cgroup, environment }

    public init(bytes: Int64, origin: Origin) { self.bytes = bytes; self.origin = origin }

    public static let environmentKey = "RAD_MEMORY_LIMIT"

    /// "this machine has 22.8 GiB available" and the like.
    public var described: String {
        let amount = Units.bytes(bytes)
        switch origin {
        case .machine: return "this machine has \(amount) available"
        case .cgroup: return "this process's cgroup leaves \(amount)"
        case .environment: return "\(Self.environmentKey) allows \(amount)"
        }
    }

    /// Now; nil when nothing can be read (then nothing is checked).
    public static func current(environment: [String: String] = ProcessInfo.processInfo.environment) -> AvailableMemory? {
        if let text = environment[environmentKey], case .value(let v) = SizeParser.parse(text), v > 0 {
            return AvailableMemory(bytes: v, origin: .environment)
        }
        var best = meminfoAvailable().map { AvailableMemory(bytes: $0, origin: .machine) }
        if let max = readNumber("/sys/fs/cgroup/memory.max") {
            let left = max - (readNumber("/sys/fs/cgroup/memory.current") ?? 0)
            if best == nil || left < best!.bytes { best = AvailableMemory(bytes: Swift.max(0, left), origin: .cgroup) }
        }
        return best
    }

    static func meminfoAvailable() -> Int64? {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
            // "MemAvailable:   23456789 kB"
            let fields = line.split(separator: " ")
            if fields.count >= 2, let kb = Int64(fields[1]) { return kb * 1024 }
        }
        return nil
    }

    /// A file holding one number ("max" and anything else unreadable give nil).
    static func readNumber(_ path: String) -> Int64? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return Int64(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
