import Foundation
import Testing

/// Ctrl-C during an `evaluate` step stops it between batches of requests, within seconds: the step
/// keeps nothing part-way, so rad says so and exits 130. Before, the step never looked, and the run
/// stopped only when the whole evaluation had ended (25 minutes for the two-hour recipe's).
@Suite struct EvaluateInterruptCLITests {
    @Test func ctrlCStopsAnEvaluationBetweenBatches() throws {
        let repo = TinyConversion.repo
        let gguf = repo.appendingPathComponent("assets/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf").path
        let benchmarks = repo.appendingPathComponent("assets/benchmarks").path
        guard [gguf, benchmarks + "/hellaswag.jsonl"].allSatisfy(FileManager.default.fileExists(atPath:)) else {
            Issue.record("missing assets: run `scripts/fetch-assets.sh teacher benchmarks`"); return
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rad-evalint-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        // 300 hellaswag documents: minutes of work for the real teacher on two cores.
        let manifest = dir.appendingPathComponent("evalint.yaml")
        try Data("""
        name: evalint
        teacher: { source: \(gguf) }
        steps:
          eval: { kind: evaluate, models: [teacher], tasks: [hellaswag], limit: 300, heldout_perplexity: false, benchmarks: \(benchmarks) }

        """.utf8).write(to: manifest)
        let cache = dir.appendingPathComponent("cache")
        let logURL = dir.appendingPathComponent("eval.log")
        let p = try KillResumeCLITests.start(["run", manifest.path, "--cache", cache.path, "--runs", dir.appendingPathComponent("runs").path],
                                             log: logURL)
        func log() -> String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }
        let deadline = Date().addingTimeInterval(300)
        while p.isRunning && !log().contains("eval [") && Date() < deadline { usleep(10_000) }
        #expect(p.isRunning, "the evaluation ended before it could be interrupted: \(log().suffix(800))")
        let signalled = Date()
        kill(p.processIdentifier, SIGINT)
        // Ten seconds is many batches; the old behaviour runs on for minutes.
        while p.isRunning && Date().timeIntervalSince(signalled) < 60 { usleep(10_000) }
        let waited = Date().timeIntervalSince(signalled)
        if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
        print("evaluate step stopped \(String(format: "%.2f", waited)) s after SIGINT")
        #expect(waited < 10, "rad took \(waited) s to stop the evaluation after SIGINT")
        #expect(p.terminationReason == .exit && p.terminationStatus == 130, "\(log().suffix(1500))")
        #expect(log().contains("interrupted (SIGINT); finished steps are cached"), "\(log().suffix(800))")
        #expect(log().contains("resume with: "), "\(log().suffix(800))")
        let record = try String(contentsOf: dir.appendingPathComponent("runs/evalint/latest/run.json"), encoding: .utf8)
        #expect(record.contains("\"status\": \"interrupted\""), "\(record)")
        // No table of a part of the documents, in the run folder or the cache.
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("runs/evalint/latest/eval.json").path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: cache.appendingPathComponent("tmp").path).isEmpty)
        let objects = (try? FileManager.default.subpathsOfDirectory(atPath: cache.appendingPathComponent("objects").path)) ?? []
        #expect(!objects.contains { $0.hasSuffix("meta.json") }, "\(objects)")
    }
}
