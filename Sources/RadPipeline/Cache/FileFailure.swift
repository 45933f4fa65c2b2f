import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A file-system operation that failed, as one line naming the path rad was writing or reading and the
/// cause in the system's words ("out/model/model.safetensors: No space left on device"), instead of
/// Foundation's NSError dump (which names the source of a copy, not its destination).
public struct FileFailure: Error, CustomStringConvertible {
    public var path: String
    public var cause: String
    public init(path: String, cause: String) { self.path = path; self.cause = cause }
    public var description: String { "\(path): \(cause)" }

    /// Runs `body`; any error it throws becomes a `FileFailure` about `path`.
    public static func wrap<T>(path: String, _ body: () throws -> T) throws -> T {
        do { return try body() }
        catch let e as FileFailure { throw e }
        catch { throw FileFailure(path: path, cause: cause(of: error)) }
    }

    /// The POSIX reason behind a Foundation error when there is one (`strerror` of its errno).
    public static func cause(of error: Error) -> String {
        let ns = error as NSError
        var current: NSError? = ns
        while let e = current {
            if e.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(e.code))) }
            current = e.userInfo[NSUnderlyingErrorKey] as? NSError
        }
        if ns.domain == NSCocoaErrorDomain {
            switch CocoaError.Code(rawValue: ns.code) {
            case .fileWriteOutOfSpace: return String(cString: strerror(ENOSPC))
            case .fileWriteNoPermission, .fileReadNoPermission: return String(cString: strerror(EACCES))
            case .fileNoSuchFile, .fileReadNoSuchFile: return String(cString: strerror(ENOENT))
            case .fileWriteFileExists: return String(cString: strerror(EEXIST))
            case .fileWriteVolumeReadOnly: return String(cString: strerror(EROFS))
            default: break
            }
        }
        if ns.domain != NSCocoaErrorDomain { return "\(error)" }
        return ns.localizedDescription
    }
}
