import Foundation
import Testing

/// A file-system failure is one `error:` line naming the path and the cause in the system's words, with
/// exit 1 and nothing half-written; never an NSError dump.
@Suite struct FileSystemFailureCLITests {
    static func temp() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rad-fsfail-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// A training step of a few optimizer steps on the tiny teacher.
    static func manifest(in dir: URL) throws -> URL {
        try TinyConversion.manifest(in: dir, name: "fs", steps: """
          align: { kind: align_hidden_states, tokens: 256, seq_len: 16, batch: 2, lr: 1e-3 }

        """)
    }

    static func errorLines(_ r: RadProcess.Result) -> [Substring] {
        r.stderr.split(separator: "\n").filter { $0.hasPrefix("error:") }
    }

    static func expectNoDump(_ r: RadProcess.Result, sourceLocation: SourceLocation = #_sourceLocation) {
        for needle in ["Domain=", "UserInfo", "NSFilePath", "Fatal error"] {
            #expect(!r.stderr.contains(needle), "\(needle) in: \(r.stderr)", sourceLocation: sourceLocation)
        }
    }

    @Test func runsFolderUnderAFile() throws {
        let dir = try Self.temp(); defer { try? FileManager.default.removeItem(at: dir) }
        let file = try Self.manifest(in: dir)
        let blocker = dir.appendingPathComponent("not-a-folder")
        try Data("x".utf8).write(to: blocker)
        let r = try RadProcess.run(["run", file.path, "--cache", dir.appendingPathComponent("cache").path,
                                    "--runs", blocker.appendingPathComponent("runs").path])
        #expect(r.status == 1, "exit \(r.status): \(r.stderr)")
        let errors = Self.errorLines(r)
        #expect(errors.count == 1, "\(r.stderr)")
        #expect(errors.first?.hasPrefix("error: \(blocker.path)/runs") == true, "\(r.stderr)")
        #expect(errors.first?.hasSuffix(": Not a directory") == true, "\(r.stderr)")
        Self.expectNoDump(r)
    }

    /// Every step succeeds but run.json cannot be written: exit 1, the record named with its cause and
    /// the fact that the artifacts are cached; the same command afterwards finds them.
    @Test func runRecordThatCannotBeWritten() throws {
        let dir = try Self.temp(); defer { try? FileManager.default.removeItem(at: dir) }
        let file = try Self.manifest(in: dir)
        let runs = dir.appendingPathComponent("runs")
        // A folder where run.json belongs: its rename fails as a write to a broken disk would.
        let record = runs.appendingPathComponent("fs/r1/run.json")
        try FileManager.default.createDirectory(at: record.appendingPathComponent("in-the-way"), withIntermediateDirectories: true)
        let args = ["run", file.path, "--cache", dir.appendingPathComponent("cache").path, "--runs", runs.path, "--run-id", "r1"]
        let r = try RadProcess.run(args)
        #expect(r.status == 1, "exit \(r.status): \(r.stderr)")
        let errors = Self.errorLines(r)
        #expect(errors.count == 1, "\(r.stderr)")
        let expected = "error: cannot write the run record \(record.path): Is a directory; every step finished and its artifacts "
            + "are cached: re-running the same command finds them and writes the record"
        let first = errors.first.map(String.init) ?? ""
        #expect(first == expected, "\(r.stderr)")
        Self.expectNoDump(r)
        // Nothing half-written beside it.
        let left = try FileManager.default.contentsOfDirectory(atPath: runs.appendingPathComponent("fs/r1").path)
        let temporaries = left.filter { $0.hasSuffix(".tmp") }
        #expect(temporaries.isEmpty, "\(left)")
        try FileManager.default.removeItem(at: record)
        let again = try RadProcess.run(args)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("align: cached"), "\(again.stdout)")
        #expect(FileManager.default.fileExists(atPath: record.path))
    }

    /// metrics.jsonl on a full disk (/dev/full answers every write with ENOSPC): one error line naming it
    /// and the cause, instead of lines silently dropped.
    @Test func metricsOnAFullDisk() throws {
        let dir = try Self.temp(); defer { try? FileManager.default.removeItem(at: dir) }
        let file = try Self.manifest(in: dir)
        let runs = dir.appendingPathComponent("runs")
        let metrics = runs.appendingPathComponent("fs/r1/metrics.jsonl")
        try FileManager.default.createDirectory(at: metrics.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: metrics.path, withDestinationPath: "/dev/full")
        let r = try RadProcess.run(["run", file.path, "--cache", dir.appendingPathComponent("cache").path, "--runs", runs.path, "--run-id", "r1"])
        let errors = Self.errorLines(r)
        #expect(errors.filter { $0.contains("metrics.jsonl") }.count == 1, "\(r.stderr)")
        #expect(errors.first?.hasPrefix("error: \(metrics.path): No space left on device") == true, "\(r.stderr)")
        Self.expectNoDump(r)
    }
}
