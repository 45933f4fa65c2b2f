import Foundation

/// The memory this machine gives a rad process at most: `MemTotal` from /proc/meminfo, lowered to the
/// cgroup's `memory.max` when one limits it. `RAD_MEMORY_LIMIT` (bytes, or a count like 8G) replaces
/// both, for tests and for leaving room to other work.
///
/// Not `MemAvailable`: that moves with whatever else runs (two builds take half of it), and a manifest that
/// validates on an idle machine must validate under load too. Refusing what exceeds the whole machine
/// catches every size that can never work, which is what otherwise ends in the allocator's abort.
public struct MachineMemory: Sendable, Equatable {
    public var bytes: Int64
    /// Where the figure comes from, for messages: "this machine has 23.4 GiB of memory".
    public var origin: Origin
    /// `device`: the memory of the accelerator a plan is for (`rad plan --device`), named.
    public enum Origin: Sendable, Equatable { case machine, cgroup, environment, device(String) }

    public init(bytes: Int64, origin: Origin) { self.bytes = bytes; self.origin = origin }

    public static let environmentKey = "RAD_MEMORY_LIMIT"

    /// "this machine has 23.4 GiB of memory" and the like.
    public var described: String {
        let amount = Units.bytes(bytes)
        switch origin {
        case .machine: return "this machine has \(amount) of memory"
        case .cgroup: return "this process's cgroup allows \(amount)"
        case .environment: return "\(Self.environmentKey) allows \(amount)"
        case .device(let name): return "the \(name) has \(amount) of memory"
        }
    }

    /// nil when nothing can be read (then nothing is checked).
    public static func current(environment: [String: String] = ProcessInfo.processInfo.environment) -> MachineMemory? {
        if let text = environment[environmentKey], case .value(let v) = SizeParser.parse(text), v > 0 {
            return MachineMemory(bytes: v, origin: .environment)
        }
        var best = meminfoTotal().map { MachineMemory(bytes: $0, origin: .machine) }
        if let max = readNumber("/sys/fs/cgroup/memory.max"), best == nil || max < best!.bytes {
            best = MachineMemory(bytes: max, origin: .cgroup)
        }
        return best
    }

    static func meminfoTotal() -> Int64? {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("MemTotal:") {
            // "MemTotal:   24567890 kB"
            let fields = line.split(separator: " ")
            if fields.count >= 2, let kb = Int64(fields[1]) { return kb * 1024 }
        }
        return nil
    }

    static func readNumber(_ path: String) -> Int64? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return Int64(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
