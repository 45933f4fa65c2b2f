import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An advisory `flock` on a file, so that several `rad` processes sharing a cache serialise their writes.
public final class FileLock {
    public enum Mode { case shared, exclusive }
    private let fd: Int32

    public init(path: String, mode: Mode) throws {
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StoreError("cannot open lock file \(path): \(String(cString: strerror(errno)))") }
        var r: Int32
        repeat { r = flock(fd, mode == .exclusive ? LOCK_EX : LOCK_SH) } while r != 0 && errno == EINTR
        guard r == 0 else { close(fd); throw StoreError("cannot lock \(path): \(String(cString: strerror(errno)))") }
    }

    deinit { flock(fd, LOCK_UN); close(fd) }

    /// Runs `body` while holding the lock.
    public static func with<T>(_ path: String, _ mode: Mode, _ body: () throws -> T) throws -> T {
        let lock = try FileLock(path: path, mode: mode)
        defer { withExtendedLifetime(lock) {} }
        return try body()
    }
}

public struct StoreError: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}
