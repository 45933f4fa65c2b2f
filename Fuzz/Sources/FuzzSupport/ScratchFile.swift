import Foundation

/// The readers under test take a path (they mmap or read the file), so each input is written to one
/// file per process in /dev/shm (RAM, so writing it costs about as much as the copy libFuzzer makes).
public enum ScratchFile {
    /// A directory of its own per process: targets may run side by side (libFuzzer -jobs).
    public static let directory: String = {
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        let dir = "\(base)/rad-fuzz-\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        // Removed when libFuzzer exits normally; after a crash it stays, with the input that crashed.
        atexit { try? FileManager.default.removeItem(atPath: ScratchFile.directory) }
        return dir
    }()

    /// Writes the input to `directory/name` (replacing the last one) and returns the path.
    public static func write(_ data: UnsafePointer<UInt8>, _ size: Int, name: String) -> String {
        let path = directory + "/" + name
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        precondition(fd >= 0, "cannot create \(path)")
        var done = 0
        while done < size {
            let n = Foundation.write(fd, data + done, size - done)
            precondition(n > 0, "cannot write \(path)")
            done += n
        }
        close(fd)
        return path
    }
}
