import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An advisory `flock` on a file, so that several `rad` processes sharing a cache serialise their writes.
public final class FileLock {
    public enum Mode { case shared, exclusive }
    private let fd: Int32

    /// Waits until the lock is free.
    public init(path: String, mode: Mode) throws {
        guard let fd = try Self.acquire(path, mode, wait: true) else { throw StoreError("cannot lock \(path)") }
        self.fd = fd
    }

    /// The lock if it is free now, nil if another process holds it.
    public static func attempt(path: String, mode: Mode) throws -> FileLock? {
        try acquire(path, mode, wait: false).map(FileLock.init(descriptor:))
    }

    private init(descriptor: Int32) { fd = descriptor }

    private static func acquire(_ path: String, _ mode: Mode, wait: Bool) throws -> Int32? {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StoreError("cannot open lock file \(path): \(String(cString: strerror(errno)))") }
        var r: Int32
        let op = (mode == .exclusive ? LOCK_EX : LOCK_SH) | (wait ? 0 : LOCK_NB)
        repeat { r = flock(fd, op) } while r != 0 && errno == EINTR
        if r != 0 {
            let e = errno
            close(fd)
            if e == EWOULDBLOCK && !wait { return nil }
            throw StoreError("cannot lock \(path): \(String(cString: strerror(e)))")
        }
        return fd
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
