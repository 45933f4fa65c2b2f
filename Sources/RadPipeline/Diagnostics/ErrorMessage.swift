import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Any error as the one line rad prints after `error: `. A Foundation file error becomes
/// "<path>: <cause>" ("out/model/model.safetensors: No space left on device") instead of its NSError
/// dump; rad's own errors keep their description. The cause comes from `FileFailure.cause(of:)`.
public enum ErrorMessage {
    public static func oneLine(_ error: Error) -> String {
        if let f = error as? FileFailure { return f.description }
        let ns = error as NSError
        guard ns.domain == NSCocoaErrorDomain || ns.domain == NSPOSIXErrorDomain else {
            return flatten("\(error)")
        }
        var cause = FileFailure.cause(of: error)
        guard let path = path(of: ns) else { return cause }
        // Foundation leaves out the errno of some failures (creating intermediate folders): say what the
        // file system shows instead of "The operation could not be completed".
        if cause == ns.localizedDescription, let found = visibleCause(path) { cause = found }
        return "\(ManifestSource.display(path)): \(cause)"
    }

    /// Why `path` cannot be created, as far as looking at it tells: a file where a folder above it should be.
    static func visibleCause(_ path: String) -> String? {
        var current = (path as NSString).deletingLastPathComponent
        while !current.isEmpty, current != "/" {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: current, isDirectory: &isDirectory) {
                return isDirectory.boolValue ? nil : String(cString: strerror(ENOTDIR))
            }
            current = (current as NSString).deletingLastPathComponent
        }
        return nil
    }

    /// The path a Foundation error is about. A copy's error carries both ends and names the source as
    /// `NSFilePath`; when the source is there, the failure (no space, no permission, no folder) is the
    /// destination's, which is also the path the user chose.
    static func path(of ns: NSError) -> String? {
        let source = ns.userInfo[NSFilePathErrorKey] as? String ?? (ns.userInfo[NSURLErrorKey] as? URL)?.path
        if let destination = ns.userInfo["NSDestinationFilePath"] as? String {
            if let source, !FileManager.default.isReadableFile(atPath: source) { return source }
            return destination
        }
        return source
    }

    /// Multi-line descriptions (a wrapped NSError, a list) as one line.
    static func flatten(_ s: String) -> String {
        s.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.joined(separator: "; ")
    }
}
