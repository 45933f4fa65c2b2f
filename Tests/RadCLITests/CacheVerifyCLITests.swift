import Foundation
import Testing

/// `rad cache verify --repair` says "(removed)" only for an entry that is gone afterwards; one it could
/// not remove is named with the reason, and the command fails.
@Suite struct CacheVerifyCLITests {
    /// A cache holding the tiny manifest's entries, one of them damaged (a byte of its tensors changed).
    static func damagedCache(in dir: URL) throws -> (cache: URL, entry: URL) {
        let file = try FileSystemFailureCLITests.manifest(in: dir)
        let cache = dir.appendingPathComponent("cache")
        let r = try RadProcess.run(["run", file.path, "--cache", cache.path, "--runs", dir.appendingPathComponent("runs").path])
        try #require(r.status == 0, "\(r.stderr)")
        let objects = cache.appendingPathComponent("objects")
        let entries = try FileManager.default.subpathsOfDirectory(atPath: objects.path).filter { $0.hasSuffix("/tensors.radt") }
        let tensors = objects.appendingPathComponent(try #require(entries.first, "no entry with tensors"))
        let handle = try FileHandle(forUpdating: tensors)
        try handle.seek(toOffset: 100)
        let byte = try #require(try handle.read(upToCount: 1)?.first)
        try handle.seek(toOffset: 100)
        try handle.write(contentsOf: Data([byte ^ 0xFF]))
        try handle.close()
        return (cache, tensors.deletingLastPathComponent())
    }

    /// Runs `rad` as the unprivileged user `nobody` (setpriv, util-linux), for whom the root-owned entry
    /// folders cannot be deleted (root deletes anything, so the failure needs another user).
    static func radAsNobody(_ arguments: [String]) throws -> RadProcess.Result {
        let setpriv = "/usr/bin/setpriv"
        try #require(FileManager.default.isExecutableFile(atPath: setpriv), "this test needs \(setpriv) (util-linux) to run rad as another user")
        return try RadProcess.run(arguments, launcher: [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"])
    }

    @Test func repairSaysRemovedOnlyForRemovedEntries() throws {
        try #require(getuid() == 0, "the cache must belong to another user than the one repairing it")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rad-verify-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let (cache, entry) = try Self.damagedCache(in: dir)
        // nobody may take the cache's locks and read everything, but not delete the entry.
        for lock in ["write.lock", "use.lock"] {
            try FileManager.default.setAttributes([.posixPermissions: 0o666], ofItemAtPath: cache.appendingPathComponent(lock).path)
        }
        let denied = try Self.radAsNobody(["cache", "verify", "--repair", "--cache", cache.path])
        #expect(denied.status == 1, "exit \(denied.status): \(denied.stdout) \(denied.stderr)")
        #expect(!denied.stdout.contains("(removed)"), "\(denied.stdout)")
        #expect(denied.stdout.contains("checksum mismatch (NOT removed: "), "\(denied.stdout)")
        #expect(denied.stdout.contains("Permission denied)"), "\(denied.stdout)")
        #expect(denied.stderr.contains("error: 1 damaged entry could not be removed"), "\(denied.stderr)")
        #expect(FileManager.default.fileExists(atPath: entry.path))

        let repaired = try RadProcess.run(["cache", "verify", "--repair", "--cache", cache.path])
        #expect(repaired.status == 0, "\(repaired.stderr)")
        #expect(repaired.stdout.contains("checksum mismatch (removed)"), "\(repaired.stdout)")
        #expect(!FileManager.default.fileExists(atPath: entry.path))
        let after = try RadProcess.run(["cache", "verify", "--cache", cache.path])
        #expect(after.status == 0 && after.stdout.contains("all entries intact"), "\(after.stdout)")
    }
}
