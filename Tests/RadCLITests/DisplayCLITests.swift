import Foundation
import Testing

/// What rad prints and logs, read as a user reads it (issue 14, bullet 7): no option's help gives its
/// default twice, `generate --verbose` starts its report on a line of its own, and metrics.jsonl holds one
/// tokenisation line per data source and a training line every `log_every` optimizer steps.
@Suite struct DisplayCLITests {
    static let verbs = ["validate", "plan", "run", "dag", "cache", "inspect", "score", "generate", "eval", "report", "bench"]

    /// Before, `--runs` read "Folder of run records (default: ./runs). (default: runs)".
    @Test func everyOptionStatesItsDefaultOnce() throws {
        for verb in Self.verbs {
            let r = try RadProcess.run([verb, "--help"])
            #expect(r.status == 0, "\(verb): \(r.stderr)")
            // One option's help: its line and the indented lines after it, up to the next option.
            var blocks: [String] = []
            for line in r.stdout.split(separator: "\n", omittingEmptySubsequences: false) {
                let trimmed = line.drop { $0 == " " }
                if trimmed.hasPrefix("-") || blocks.isEmpty { blocks.append(String(line)) } else { blocks[blocks.count - 1] += " " + trimmed }
            }
            for b in blocks {
                #expect(b.components(separatedBy: "default:").count <= 2, "\(verb): \(b)")
            }
        }
    }

    /// Before, the generated text and `tokens: ...` shared a line when both streams went to one terminal
    /// (`2018-01tokens: 7042`).
    @Test func generateVerboseStartsItsReportOnALineOfItsOwn() throws {
        let gguf = ModelVerbsCLITests.gguf
        guard FileManager.default.fileExists(atPath: gguf) else { Issue.record("missing assets: run `scripts/fetch-assets.sh teacher`"); return }
        // Both streams into one pipe, as on a terminal.
        let r = try RadProcess.run(["generate", "--model", gguf, "--prompt", "The year was", "--max-tokens", "6", "--verbose"],
                                   launcher: ["/bin/sh", "-c", "exec \"$@\" 2>&1", "sh"])
        #expect(r.status == 0, "\(r.stdout)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("tokens: ") } && !lines.contains { $0.contains("tokens: ") && !$0.hasPrefix("tokens: ") }, "\(r.stdout)")
        #expect(lines.last?.hasSuffix("tokens/s)") == true, "\(r.stdout)")
    }

    /// Tokenising 40 documents logs one line (before the fix that landed earlier, one per document), and a
    /// stage of 8 optimizer steps with `log_every: 3` logs steps 1, 3, 6 and 8 (before: all 8; the
    /// setting was accepted and ignored).
    @Test func metricsLogTokenisationOncePerSourceAndTrainingEveryLogEverySteps() throws {
        let dir = try WrongNumbersCLITests.temp(); defer { try? FileManager.default.removeItem(at: dir) }
        let teacher = try WrongNumbersCLITests.model(in: dir)
        let docs = (0..<40).map { i in "{\"text\": \"abc abc cab bad \(String(repeating: "abc ab ", count: 3 + i % 4))\"}" }
        try Data((docs.joined(separator: "\n") + "\n").utf8).write(to: dir.appendingPathComponent("docs.jsonl"))
        let manifest = dir.appendingPathComponent("m.yaml")
        try Data("""
        name: logged
        teacher: { source: \(teacher.path) }
        data: { train: { jsonl: [docs.jsonl], field: text } }
        student: { architecture: rad-rwkv6 }
        steps:
          tune: { kind: finetune, tokens: 128, seq_len: 8, batch: 2, lr: 1e-4, log_every: 3 }

        """.utf8).write(to: manifest)
        let runs = dir.appendingPathComponent("runs")
        let r = try RadProcess.run(["run", manifest.path, "--cache", dir.appendingPathComponent("cache").path, "--runs", runs.path], cwd: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let metrics = try String(contentsOf: runs.appendingPathComponent("logged/latest/metrics.jsonl"), encoding: .utf8)
        let lines = try metrics.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        let tokenisation = lines.filter { $0["step"] as? String == "data.train" }
        #expect(tokenisation.count == 1 && tokenisation.first?["tokens"] as? Int == 40, "\(metrics)")
        let training = lines.filter { $0["step"] as? String == "tune" }
        #expect(training.compactMap { $0["optimizer_step"] as? Double } == [1, 3, 6, 8], "\(metrics)")
        #expect(lines.count == tokenisation.count + training.count, "\(metrics)")
    }
}
