import Foundation
import Testing

/// Bad input inside a step the ranks share: the ranks agree on the failure where they would otherwise go
/// on together, so every rank leaves the step at the same point and the job exits 2 with rank 0's one
/// message (naming the rank that failed and its file), not through `MPI_Abort`. Before, the failed rank
/// aborted the job ("rad: rank 1 of 2 stops the whole job", Open MPI's MPI_ABORT banner).
extension DataParallelCLITests {
    /// A manifest that tokenises `data` (a `data:` entry's flow mapping) as held-out text for a
    /// perplexity on the real teacher.
    static func heldoutManifest(in dir: URL, data: String) throws -> URL? {
        let gguf = TinyConversion.repo.appendingPathComponent("assets/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf").path
        guard FileManager.default.fileExists(atPath: gguf) else {
            Issue.record("missing assets: run `scripts/fetch-assets.sh teacher`"); return nil
        }
        let manifest = dir.appendingPathComponent("sharedfail.yaml")
        try Data("""
        name: sharedfail
        teacher: { source: \(gguf) }
        data:
          heldout: \(data)
        steps:
          eval: { kind: evaluate, models: [teacher], seq_len: 16, heldout_tokens: 32 }

        """.utf8).write(to: manifest)
        return manifest
    }

    static func expectOneInputError(_ r: RadProcess.Result, _ message: String, dir: URL) throws {
        #expect(r.status == 2, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stderr.components(separatedBy: message).count == 2, "\(r.stderr)")
        #expect(!r.stderr.contains("MPI_ABORT") && !r.stderr.contains("stops the whole job"), "\(r.stderr)")
        // Nothing half-made: no token stream in the cache; the run record says the step failed.
        #expect(try Self.tokenStreams(dir.appendingPathComponent("cache")).isEmpty)
        let record = try String(contentsOf: dir.appendingPathComponent("runs/sharedfail/latest/run.json"), encoding: .utf8)
        #expect(record.contains("\"status\":\"failed\"") || record.contains("\"status\": \"failed\""), "\(record)")
    }

    static func sharedFailureArgs(_ manifest: URL, _ dir: URL) -> [String] {
        ["run", manifest.path, "--cache", dir.appendingPathComponent("cache").path, "--runs", dir.appendingPathComponent("runs").path]
    }

    /// Four text files, the last not UTF-8: rank 1 reads it (its share is the second half), rank 0 does
    /// not. Before, rank 1 aborted the job while rank 0 waited in the documents' agreement.
    @Test func aDocumentOneRankCannotReadEndsTheJobWithOneMessage() throws {
        try Self.withJob { dir, _ in
            let docs = dir.appendingPathComponent("docs")
            try FileManager.default.createDirectory(at: docs, withIntermediateDirectories: true)
            for i in 1...3 { try Data("The quick brown fox number \(i) jumps over the lazy dog.\n".utf8).write(to: docs.appendingPathComponent("d\(i).txt")) }
            let bad = docs.appendingPathComponent("d4.txt")
            try Data([0x62, 0x61, 0x64, 0x20, 0xFF, 0x20, 0x62, 0x79, 0x74, 0x65]).write(to: bad)
            guard let manifest = try Self.heldoutManifest(in: dir, data: "{ files: [\(docs.path)/*.txt] }") else { return }
            let r = try RadProcess.run(Self.sharedFailureArgs(manifest, dir), launcher: Self.launcher(["-np", "2"]))
            try Self.expectOneInputError(r, "rank 1: \(bad.path): not UTF-8 text: invalid byte 0xFF at offset 4", dir: dir)
        }
    }

    /// A JSON-lines file with a line that is not JSON: every rank finds it while listing the documents,
    /// and rank 0 says so once, as one process does.
    @Test func badInputEveryRankFindsEndsTheJobWithOneMessage() throws {
        try Self.withJob { dir, _ in
            let file = dir.appendingPathComponent("docs.jsonl")
            try Data("{\"text\": \"a fine document\"}\nnot json\n".utf8).write(to: file)
            guard let manifest = try Self.heldoutManifest(in: dir, data: "{ jsonl: [\(file.path)], field: text }") else { return }
            let r = try RadProcess.run(Self.sharedFailureArgs(manifest, dir), launcher: Self.launcher(["-np", "2"]))
            try Self.expectOneInputError(r, "\(file.path):2: not a JSON object", dir: dir)
            #expect(!r.stderr.contains("rank 1:"), "\(r.stderr)")
        }
    }

    /// A manifest with a problem: every rank finds it while loading. Rank 0 prints it as one process does
    /// (FILE:LINE:COL, the count) and every rank exits 2. Before, each rank printed it and aborted the job.
    @Test func anInvalidManifestIsReportedOnceUnderMpirun() throws {
        try Self.withJob { dir, _ in
            let docs = dir.appendingPathComponent("empty")
            try FileManager.default.createDirectory(at: docs, withIntermediateDirectories: true)
            for i in 1...2 { try Data().write(to: docs.appendingPathComponent("e\(i).txt")) }
            guard let manifest = try Self.heldoutManifest(in: dir, data: "{ files: [\(docs.path)/*.txt] }") else { return }
            let r = try RadProcess.run(Self.sharedFailureArgs(manifest, dir), launcher: Self.launcher(["-np", "2"]))
            #expect(r.status == 2, "\(r.stderr)")
            #expect(r.stderr.components(separatedBy: "matches only empty files").count == 2, "\(r.stderr)")
            #expect(r.stderr.contains("sharedfail.yaml:4:"), "\(r.stderr)")
            #expect(!r.stderr.contains("MPI_ABORT") && !r.stderr.contains("stops the whole job"), "\(r.stderr)")
        }
    }
}
