import CPosix
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Renames that never leave a moment in which a path is missing or half-replaced (Linux `renameat2`).
enum AtomicRename {
    /// Swaps two existing paths in one step: afterwards `a` holds what was at `b` and `b` what was at `a`.
    static func exchange(_ a: String, _ b: String) throws {
        guard renameat2(AT_FDCWD, a, AT_FDCWD, b, UInt32(RAD_RENAME_EXCHANGE)) == 0 else {
            throw StoreError("cannot replace \(b): \(String(cString: strerror(errno)))")
        }
    }

    /// Moves `from` to `to` unless something is already at `to`; returns false (and moves nothing) then.
    static func moveIfAbsent(_ from: String, to: String) throws -> Bool {
        if renameat2(AT_FDCWD, from, AT_FDCWD, to, UInt32(RAD_RENAME_NOREPLACE)) == 0 { return true }
        if errno == EEXIST || errno == ENOTEMPTY { return false }
        throw StoreError("cannot move \(from) to \(to): \(String(cString: strerror(errno)))")
    }

    /// Puts `from` at `to`, replacing what is there atomically; the replaced content is removed afterwards.
    static func replace(_ to: String, with from: String) throws {
        if try moveIfAbsent(from, to: to) { return }
        try exchange(from, to)
        try? FileManager.default.removeItem(atPath: from)
    }
}

/// Which rad processes still run: debris (`tmp/` entries, `.partial-PID` folders) is named by the PID of
/// the process that wrote it, and is removed once that process is gone.
enum ProcessLiveness {
    static func isAlive(_ pid: Int32) -> Bool {
        guard pid > 0 else { return false }
        if pid == getpid() { return true }
        return kill(pid, 0) == 0 || errno == EPERM
    }

    /// The PID in a debris name: the number after the last `separator`, or the first one that parses.
    static func pid(in name: String, after marker: String) -> Int32? {
        guard let r = name.range(of: marker, options: .backwards) else { return nil }
        let digits = name[r.upperBound...].prefix { $0.isNumber }
        return Int32(digits)
    }
}
