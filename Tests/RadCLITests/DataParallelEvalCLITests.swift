import Foundation
import Testing

/// `mpirun -np 2 rad run` of an evaluation: each rank scores its share of every task's batches of
/// requests and of the perplexity windows, the scores are summed over the ranks, and rank 0 writes the
/// table: the same table, and the same numbers bit for bit, as one process.
extension DataParallelCLITests {
    @Test func twoRanksEvaluateTheOneProcessTable() throws {
        let repo = TinyConversion.repo
        let gguf = repo.appendingPathComponent("assets/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf").path
        let benchmarks = repo.appendingPathComponent("assets/benchmarks").path
        let news = repo.appendingPathComponent("assets/text/news.jsonl").path
        guard Self.mpirun != nil else { print("skipped: mpirun is not installed (scripts/setup.sh installs openmpi-bin)"); return }
        guard [gguf, news, benchmarks + "/piqa.jsonl", benchmarks + "/lambada.jsonl"].allSatisfy(FileManager.default.fileExists(atPath:)) else {
            Issue.record("missing assets: run `scripts/fetch-assets.sh teacher text benchmarks`"); return
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rad-mpi-eval-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        // piqa: documents whose two choices share a prefix; lambada: single requests batched by length;
        // 1536 held-out tokens: 12 windows of 128 in 3 batches. The held-out text is the news file (300
        // documents), so the two ranks also tokenise half of it each.
        let manifest = dir.appendingPathComponent("evalshare.yaml")
        try Data("""
        name: evalshare
        teacher: { source: \(gguf) }
        data:
          heldout: { jsonl: [\(news)], field: text }
        steps:
          eval: { kind: evaluate, models: [teacher], tasks: [piqa, lambada], limit: 10, seq_len: 128, heldout_tokens: 1536,
                  benchmarks: \(benchmarks) }

        """.utf8).write(to: manifest)
        func args(_ name: String) -> [String] {
            ["run", manifest.path, "--cache", dir.appendingPathComponent("cache-\(name)").path, "--runs", dir.appendingPathComponent("runs-\(name)").path]
        }
        let one = try RadProcess.run(args("one"))
        #expect(one.status == 0, "\(one.stderr)")
        let two = try RadProcess.run(args("two"), launcher: Self.launcher(["-np", "2"]))
        #expect(two.status == 0, "\(two.stdout)\n\(two.stderr)")
        func result(_ name: String, _ file: String) throws -> String {
            try String(contentsOf: dir.appendingPathComponent("runs-\(name)/evalshare/latest/\(file)"), encoding: .utf8)
        }
        let tableOne = try result("one", "eval.txt"), tableTwo = try result("two", "eval.txt")
        print("data-parallel evaluation: tables equal: \(tableOne == tableTwo); eval.json bit-identical: "
              + "\(try result("one", "eval.json") == result("two", "eval.json"))\n\(tableTwo)")
        #expect(tableOne.contains("piqa") && tableOne.contains("lambada") && tableOne.contains("held-out perplexity"), "\(tableOne)")
        #expect(tableOne == tableTwo)
        #expect(try result("one", "eval.json") == result("two", "eval.json"))
        // The token stream the two ranks made together is the one process's, token for token.
        #expect(try Self.tokenStreams(dir.appendingPathComponent("cache-one")) == Self.tokenStreams(dir.appendingPathComponent("cache-two")))
        #expect(try !Self.tokenStreams(dir.appendingPathComponent("cache-two")).isEmpty)
        // Rank 0 alone prints the table.
        #expect(two.stdout.components(separatedBy: "held-out perplexity").count == 2, "\(two.stdout)")
    }

    /// A signal that reaches one rank only stops the evaluation on both, between batches: the ranks agree
    /// on a stop before every batch (each rank's own check would leave the other waiting in the sum).
    @Test func aSignalToOneRankStopsTheEvaluationOnBoth() throws {
        let repo = TinyConversion.repo
        let gguf = repo.appendingPathComponent("assets/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf").path
        let benchmarks = repo.appendingPathComponent("assets/benchmarks").path
        guard Self.mpirun != nil else { print("skipped: mpirun is not installed (scripts/setup.sh installs openmpi-bin)"); return }
        guard [gguf, benchmarks + "/hellaswag.jsonl"].allSatisfy(FileManager.default.fileExists(atPath:)) else {
            Issue.record("missing assets: run `scripts/fetch-assets.sh teacher benchmarks`"); return
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rad-mpi-evalint-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let manifest = dir.appendingPathComponent("evalint.yaml")
        try Data("""
        name: evalint
        teacher: { source: \(gguf) }
        steps:
          eval: { kind: evaluate, models: [teacher], tasks: [hellaswag], limit: 300, heldout_perplexity: false, benchmarks: \(benchmarks) }

        """.utf8).write(to: manifest)
        let cache = dir.appendingPathComponent("cache").path
        let log = dir.appendingPathComponent("evalint.log")
        let launcher = Self.launcher(["-np", "2"])
        let job = try KillResumeCLITests.start(Array(launcher.dropFirst()) + [RadProcess.executable.path, "run", manifest.path, "--cache", cache,
                                                                              "--runs", dir.appendingPathComponent("runs").path],
                                               log: log, executable: URL(fileURLWithPath: launcher[0]))
        func text() -> String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }
        let deadline = Date().addingTimeInterval(300)
        while job.isRunning && !text().contains("eval [") && Date() < deadline { usleep(10_000) }
        let victim = Self.rankProcess(1, cache: cache)
        #expect(victim != nil && job.isRunning, "\(text().suffix(800))")
        if let victim { kill(victim, SIGTERM) }
        let signalled = Date()
        while job.isRunning && Date().timeIntervalSince(signalled) < 60 { usleep(20_000) }
        let waited = Date().timeIntervalSince(signalled)
        if job.isRunning { job.terminate(); kill(job.processIdentifier, SIGKILL) }
        job.waitUntilExit()
        print("two-rank evaluation stopped \(String(format: "%.2f", waited)) s after SIGTERM to rank 1")
        #expect(waited < 20, "the job ran on \(waited) s after rank 1 was asked to stop")
        #expect(job.terminationStatus == 143, "\(text().suffix(1500))")
        #expect(text().contains("interrupted (SIGTERM); finished steps are cached"), "\(text().suffix(1500))")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("runs/evalint/latest/eval.json").path))
    }

    /// The cache's token streams: each `tokenize` entry's tensors, by key.
    static func tokenStreams(_ cache: URL) throws -> [String: Data] {
        var streams: [String: Data] = [:]
        let objects = cache.appendingPathComponent("objects")
        for shard in try FileManager.default.contentsOfDirectory(atPath: objects.path) {
            for key in try FileManager.default.contentsOfDirectory(atPath: objects.appendingPathComponent(shard).path) {
                let entry = objects.appendingPathComponent(shard).appendingPathComponent(key)
                let meta = try String(contentsOf: entry.appendingPathComponent("meta.json"), encoding: .utf8)
                guard meta.contains("\"tokenize\"") else { continue }
                streams[key] = try Data(contentsOf: entry.appendingPathComponent("tensors.radt"))
            }
        }
        return streams
    }
}
