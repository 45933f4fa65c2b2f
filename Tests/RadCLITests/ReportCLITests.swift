import Foundation
import Testing

/// `rad report RUN_DIR` on a run folder built by hand, and the report `rad run` writes at its end.
@Suite struct ReportCLITests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func temp() throws -> URL {
        let u = FileManager.default.temporaryDirectory.appendingPathComponent("rad-report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
        return u
    }

    /// A run folder as `rad run` leaves it: run.json, metrics.jsonl (align run twice: only the second
    /// attempt is drawn), eval.json in EvaluateStep's format.
    static func makeRunFolder(in dir: URL) throws -> URL {
        let run = dir.appendingPathComponent("runs/tiny-run")
        try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
        let record = """
        {"manifest": "tiny-run", "file": "tiny.yaml", "seed": 1, "status": "ok",
         "nodes": {"align": {"kind": "align_hidden_states", "status": "ran", "seconds": 12.5, "tokens_per_s": 164,
                             "key": "0123456789abcdef0123"},
                   "distill": {"kind": "distill_logits", "status": "cached", "seconds": 30.25, "key": "fedcba9876543210fedc"},
                   "student.init": {"kind": "init_student", "status": "ran", "seconds": 2.0, "key": "00112233445566778899"}},
         "order": ["student.init", "align", "distill"]}
        """
        try Data(record.utf8).write(to: run.appendingPathComponent("run.json"))
        var metrics = ""
        // A first, abandoned attempt at align with absurd losses, then the real one.
        for (t, loss) in [(2048, 99.0), (4096, 98.0)] { metrics += "{\"step\":\"align\",\"tokens\":\(t),\"total\":8192,\"loss\":\(loss)}\n" }
        for (i, loss) in [3.2, 2.9, 2.5, 2.4].enumerated() {
            metrics += "{\"step\":\"align\",\"tokens\":\((i + 1) * 2048),\"total\":8192,\"loss\":\(loss),\"elapsed_s\":1.5}\n"
        }
        for (i, loss) in [1.8, 1.6].enumerated() {
            metrics += "{\"step\":\"distill\",\"tokens\":\((i + 1) * 4096),\"total\":8192,\"loss\":\(loss)}\n"
        }
        metrics += "{\"step\":\"data.train\",\"tokens\":100,\"total\":100}\n"   // no loss: no curve
        metrics += "not json\n"
        try Data(metrics.utf8).write(to: run.appendingPathComponent("metrics.jsonl"))
        let eval = """
        {"model_order": ["teacher", "distill"], "task_order": ["piqa", "lambada"], "models": {
          "teacher": {"tasks": {"piqa": {"docs": 2, "acc": 0.75, "acc_per_char": 0.7, "paper_metric": "acc", "paper_score": 0.75},
                                "lambada": {"docs": 2, "acc": 0.5, "acc_per_char": 0.5, "greedy_acc": 0.5, "ppl": 9.5,
                                            "paper_metric": "greedy_acc", "paper_score": 0.5}},
                      "heldout": {"ppl": 12.25, "nll": 2.5055, "tokens": 1000}},
          "distill": {"tasks": {"piqa": {"docs": 2, "acc": 0.7, "acc_per_char": 0.7, "paper_metric": "acc", "paper_score": 0.7},
                                "lambada": {"docs": 2, "acc": 0.25, "acc_per_char": 0.25, "greedy_acc": 0.25, "ppl": 20.0,
                                            "paper_metric": "greedy_acc", "paper_score": 0.25}},
                      "heldout": {"ppl": 15.5, "nll": 2.74, "tokens": 1000}}}}
        """
        try Data(eval.utf8).write(to: run.appendingPathComponent("eval.json"))
        return run
    }

    @Test func reportOfAHandMadeRunFolder() throws {
        let dir = try Self.temp(); defer { try? FileManager.default.removeItem(at: dir) }
        let run = try Self.makeRunFolder(in: dir)
        let r = try RadProcess.run(["report", run.path])
        #expect(r.status == 0, "\(r.stderr)")
        let out = run.appendingPathComponent("report.html")
        #expect(r.stdout == out.path + "\n")
        let html = try String(contentsOf: out, encoding: .utf8)
        #expect(html.hasPrefix("<!doctype html>") && html.hasSuffix("</html>"))
        #expect(html.contains("<h1>tiny-run</h1>"))
        // One loss chart per step with losses (these lines carry no lr, grad norm or rising times), drawn
        // from the latest attempt only, with round ticks between the ends.
        #expect(html.components(separatedBy: "<svg ").count - 1 == 2)
        #expect(html.contains("<h3>align <small>align_hidden_states</small></h3>") && html.contains("<h3>distill <small>distill_logits</small></h3>"))
        #expect(!html.contains("<h3>data.train"))
        #expect(html.contains(">3.2</text>") && html.contains(">2.8</text>") && html.contains(">2.4</text>") && !html.contains(">99</text>"))
        #expect(html.contains(">RMS attention-output error</text>") && html.contains(">KL (nats/token)</text>"))
        #expect(html.contains("<polyline"))
        #expect(html.contains("<td>align</td><td class=t>align_hidden_states</td><td class=\"t status-ran\">ran</td><td>12.5</td><td>164</td>"))
        // Steps in the order the run executed them, tasks in the manifest's order.
        let position = { (s: String) in html.range(of: s)?.lowerBound ?? html.endIndex }
        #expect(position("<td>student.init</td>") < position("<td>align</td>") && position("<td>align</td>") < position("<td>distill</td>"))
        #expect(position("<td class=t>piqa</td>") < position("<td class=t>lambada</td>"))
        #expect(html.contains("<th>docs</th><th>teacher</th><th>distill</th><th>relative (distill)</th>"))
        // Two documents are too few for a relative score: the paper's (0.70 - 0.5)/(0.75 - 0.5) = 80% is noise
        // (the teacher's 0.75 ± 0.43 is within two standard errors of chance), so a dash.
        #expect(html.contains("<td class=t>piqa</td><td class=t>acc</td><td>2</td><td>0.7500 ± 0.4330</td><td>0.7000 ± 0.4583</td><td class=dash"))
        #expect(html.contains("<td class=t>lambada</td><td class=t>greedy_acc</td><td>2</td><td>0.5000 ± 0.5000</td><td>0.2500 ± 0.4330</td><td class=dash"))
        #expect(!html.contains("80.0%") && !html.contains("50.0%"))
        #expect(html.contains("<td class=t>held-out perplexity</td><td class=t>ppl</td><td></td><td>12.250 <small>(1000 tok)</small></td><td>15.500 <small>(1000 tok)</small></td>"))
        #expect(!html.contains("nan") && !html.contains("inf"))
    }

    @Test func reportOfAnEmptyFolderStillRenders() throws {
        let dir = try Self.temp(); defer { try? FileManager.default.removeItem(at: dir) }
        let r = try RadProcess.run(["report", dir.path])
        #expect(r.status == 0, "\(r.stderr)")
        let html = try String(contentsOf: dir.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(html.contains("<h1>\(dir.lastPathComponent)</h1>") && html.contains("no run record"))
    }

    @Test func badRunFoldersAreInvalidInput() throws {
        let dir = try Self.temp(); defer { try? FileManager.default.removeItem(at: dir) }
        let missing = dir.appendingPathComponent("runs/nope").path
        let m = try RadProcess.run(["report", missing])
        #expect(m.status == 2 && m.stderr == "error: \(missing): no such run folder\n" && m.stdout.isEmpty, "\(m.stderr)")
        let file = dir.appendingPathComponent("run.json")
        try Data("{}".utf8).write(to: file)
        let f = try RadProcess.run(["report", file.path])
        #expect(f.status == 2 && f.stderr.hasPrefix("error: \(file.path): not a run folder"), "\(f.stderr)")
        let none = try RadProcess.run(["report"])
        #expect(none.status == 2 && none.stderr.hasPrefix("error: ") && none.stderr.split(separator: "\n").count == 1, "\(none.stderr)")
    }

    @Test func unwritableReportIsARunFailure() throws {
        let dir = try Self.temp(); defer { try? FileManager.default.removeItem(at: dir) }
        let run = try Self.makeRunFolder(in: dir)
        // report.html is a folder: the page cannot be written there.
        try FileManager.default.createDirectory(at: run.appendingPathComponent("report.html/x"), withIntermediateDirectories: true)
        let r = try RadProcess.run(["report", run.path])
        #expect(r.status == 1, "\(r.stderr)")
        #expect(r.stderr.hasPrefix("error: cannot write \(run.path)/report.html") && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
    }

    @Test func runWritesTheReportAtTheEnd() throws {
        let gguf = Self.repo.appendingPathComponent("assets/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf").path
        guard FileManager.default.fileExists(atPath: gguf),
              FileManager.default.fileExists(atPath: Self.repo.appendingPathComponent("assets/benchmarks/piqa.jsonl").path) else {
            Issue.record("missing assets: run `scripts/fetch-assets.sh teacher benchmarks`")
            return
        }
        let dir = try Self.temp(); defer { try? FileManager.default.removeItem(at: dir) }
        // The smallest successful run: the teacher evaluated on one piqa document.
        let manifest = dir.appendingPathComponent("eval-only.yaml")
        try Data("""
        name: eval-only
        teacher: { source: \(gguf) }
        steps:
          eval: { kind: evaluate, models: [teacher], tasks: [piqa], limit: 1, heldout_perplexity: false, benchmarks: \(Self.repo.appendingPathComponent("assets/benchmarks").path) }

        """.utf8).write(to: manifest)
        let runs = dir.appendingPathComponent("runs")
        let r = try RadProcess.run(["run", manifest.path, "--cache", dir.appendingPathComponent("cache").path, "--runs", runs.path],
                                   cwd: Self.repo)
        #expect(r.status == 0, "\(r.stderr)")
        let report = runs.appendingPathComponent("eval-only/latest").resolvingSymlinksInPath().appendingPathComponent("report.html")
        #expect(r.stdout.hasSuffix("report: \(report.path)\n"), "\(r.stdout)")
        let html = try String(contentsOf: report, encoding: .utf8)
        #expect(html.contains("<h1>eval-only</h1>") && html.contains("<h2>Evaluation</h2>") && html.contains("<td class=t>piqa</td><td class=t>acc</td><td>1</td>"))
        #expect(r.stdout.contains("\npiqa "), "\(r.stdout)")

        // Again, everything cached: the run still ends with the table and rewrites eval.txt / eval.json.
        let again = try RadProcess.run(["run", manifest.path, "--cache", dir.appendingPathComponent("cache").path, "--runs", runs.path],
                                       cwd: Self.repo)
        #expect(again.status == 0 && again.stdout.contains("eval: cached"), "\(again.stderr)")
        #expect(again.stdout.hasPrefix("task ") && again.stdout.contains("\npiqa "), "\(again.stdout)")
        // The second run has its own folder, with its own table.
        let second = runs.appendingPathComponent("eval-only/latest").resolvingSymlinksInPath()
        #expect(second != report.deletingLastPathComponent())
        let table = try String(contentsOf: second.appendingPathComponent("eval.txt"), encoding: .utf8)
        #expect(again.stdout.hasPrefix(table))
        #expect(FileManager.default.fileExists(atPath: second.appendingPathComponent("eval.json").path))
    }
}
