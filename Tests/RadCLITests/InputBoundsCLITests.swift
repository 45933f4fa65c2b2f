import Foundation
import Testing

/// Settings and options that size an allocation are checked against the memory there is before it is
/// made: one `error:` naming the setting and the memory it needs, exit 2, never the allocator's abort.
@Suite struct InputBoundsCLITests {
    static let repo = TinyConversion.repo
    static let teacher = TinyConversion.teacher
    static let student = repo.appendingPathComponent("Tests/RadModelZooTests/Fixtures/students/rwkv7_balanced").path

    static func temp() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rad-bounds-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// `rad` with extra environment variables (RAD_MEMORY_LIMIT).
    static func rad(_ arguments: [String], environment extra: [String: String] = [:], cwd: URL? = nil) throws -> RadProcess.Result {
        try RadProcess.run(arguments, cwd: cwd, environment: extra)
    }

    static func manifest(in dir: URL, steps: String) throws -> URL {
        let url = dir.appendingPathComponent("m.yaml")
        let stream = dir.appendingPathComponent("stream")
        if !FileManager.default.fileExists(atPath: stream.path + ".bin") { try TinyConversion.writeStream(prefix: stream) }
        try Data("""
        name: bounds
        teacher: { source: \(teacher) }
        data:
          train: { binidx: \(dir.path)/stream }
        student: { architecture: rad-rwkv6 }
        steps:
        \(steps)

        """.utf8).write(to: url)
        return url
    }

    static func expectRefused(_ r: RadProcess.Result, naming needles: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(r.status == 2, "exit \(r.status): \(r.stderr)", sourceLocation: sourceLocation)
        for n in needles { #expect(r.stderr.contains(n), "'\(n)' not in: \(r.stderr)", sourceLocation: sourceLocation) }
        #expect(!r.stderr.contains("Fatal error") && !r.stderr.contains("out of memory allocating"), sourceLocation: sourceLocation)
    }

    /// `batch: 1048576` (2^29 tokens a pass at seq_len 512) is refused by validate without a teacher.
    @Test func hugeBatchFailsValidate() throws {
        let dir = try Self.temp(); defer { try? FileManager.default.removeItem(at: dir) }
        let file = try Self.manifest(in: dir, steps: "  distill: { kind: distill_logits, batch: 1048576 }")
        let r = try Self.rad(["validate", file.path])
        Self.expectRefused(r, naming: ["m.yaml:7:", "error: step 'distill' would pass batch 1048576 x seq_len 512",
                                       "lower batch, or set micro_batch"])
    }

    /// With the teacher's header readable, validate, plan and run size the step from its shapes and refuse
    /// it against the memory there is; run refuses before any step starts.
    @Test func stepLargerThanMemoryIsRefusedBeforeRunning() throws {
        let dir = try Self.temp(); defer { try? FileManager.default.removeItem(at: dir) }
        let file = try Self.manifest(in: dir, steps: """
          distill:
            kind: distill_logits
            seq_len: 128
            batch: 64
        """)
        let limit = ["RAD_MEMORY_LIMIT": "2M"]
        let needles = ["m.yaml:10:12: error: step 'distill' needs about ", "at batch 64 x seq_len 128 (vocab 89); RAD_MEMORY_LIMIT allows 1.9 MiB"]
        Self.expectRefused(try Self.rad(["validate", file.path], environment: limit), naming: needles)
        Self.expectRefused(try Self.rad(["plan", file.path, "--cache", dir.appendingPathComponent("cache").path,
                                         "--runs", dir.appendingPathComponent("runs").path], environment: limit), naming: needles)
        let run = try Self.rad(["run", file.path, "--cache", dir.appendingPathComponent("cache").path,
                                "--runs", dir.appendingPathComponent("runs").path], environment: limit)
        Self.expectRefused(run, naming: needles)
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("runs/bounds").path), "a step started")
        // The machine's own memory holds this tiny step.
        #expect(try Self.rad(["validate", file.path]).status == 0)
    }

    /// A model folder with a byte-level tokenizer (ids below the fixtures' 89 entries).
    static func withTokenizer(_ model: String, in dir: URL) throws -> String {
        let folder = dir.appendingPathComponent(URL(fileURLWithPath: model).lastPathComponent)
        try FileManager.default.copyItem(atPath: model, toPath: folder.path)
        try Data(ModelVerbsCLITests.tinyTokenizerJSON.utf8).write(to: folder.appendingPathComponent("tokenizer.json"))
        return folder.path
    }

    @Test func scoreWindowLargerThanMemoryIsRefused() throws {
        let dir = try Self.temp(); defer { try? FileManager.default.removeItem(at: dir) }
        let model = try Self.withTokenizer(Self.student, in: dir)
        let text = dir.appendingPathComponent("long.txt")
        try Data(String(repeating: "abc cab bad dab ", count: 40_000).utf8).write(to: text)
        let r = try Self.rad(["score", "--model", model, "--text", text.path, "--seq-len", "100000"], environment: ["RAD_MEMORY_LIMIT": "64M"])
        Self.expectRefused(r, naming: ["error: --seq-len 100000 needs about ", "4 windows of 100000 tokens at once (vocab 89); RAD_MEMORY_LIMIT allows 61.0 MiB; lower --seq-len or --batch"])
        #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        // A window that fits is scored as before.
        #expect(try Self.rad(["score", "--model", model, "--text", text.path, "--seq-len", "256"], environment: ["RAD_MEMORY_LIMIT": "64M"]).status == 0)
    }

    /// The teacher's attention cache for `--max-tokens` is allocated up front: 10^12 tokens are refused.
    @Test func generateCacheLargerThanMemoryIsRefused() throws {
        let dir = try Self.temp(); defer { try? FileManager.default.removeItem(at: dir) }
        let model = try Self.withTokenizer(Self.teacher, in: dir)
        let r = try Self.rad(["generate", "--model", model, "--prompt", "ab", "--max-tokens", "1000000000000"])
        Self.expectRefused(r, naming: ["error: --max-tokens 1000000000000 needs about ", "of attention cache", "lower --max-tokens"])
    }
}
