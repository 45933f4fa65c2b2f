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
