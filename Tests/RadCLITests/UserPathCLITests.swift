import Foundation
import Testing
import RadPipeline

/// A user's own manifest, outside the repository (issue 14): every input checked before anything runs,
/// every problem at once, runs that never overwrite each other, plans that state their machine.
@Suite struct UserPathCLITests {
    typealias Workspace = SafeExportCLITests.Workspace

    func noCrash(_ r: RadProcess.Result, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        #expect(!r.stderr.contains("Fatal error") && !r.stderr.contains("Stack dump") && r.status < 128, "\(r.stderr)",
                sourceLocation: sourceLocation)
    }

    /// A manifest whose teacher, data glob and benchmarks folder are all wrong, with a misspelt task that
    /// used to hide a wrong `models:` entry (the step failed its own checks first).
    func brokenManifest(_ w: Workspace) throws -> URL {
        let url = w.dir.appendingPathComponent("broken.yaml")
        try Data("""
        name: broken
        teacher: { source: models/nope.gguf }
        data:
          train: { jsonl: ["text/*.jsonl"], field: text }
        student: { architecture: rad-rwkv6 }
        steps:
          align: { kind: align_hidden_states, tokens: 4k, seq_len: 64, batch: 2 }
          eval:
            kind: evaluate
            models: [teacher, aling]
            tasks: [lambada, hellaswg]
            heldout_perplexity: false

        """.utf8).write(to: url)
        return url
    }

    @Test func everyMissingInputAndEveryPhaseIsReportedBeforeAnythingRuns() throws {
        let w = try Workspace(); defer { w.cleanup() }
        let m = try brokenManifest(w)
        for verb in ["validate", "plan", "run"] {
            let r = try w.rad(verb, m)
            #expect(r.status == 2, "\(verb): \(r.stderr)")
            for needle in ["broken.yaml:2:20: error: teacher source '", "models/nope.gguf' does not exist (the folder '",
                           "broken.yaml:4:20: error: data source 'train': '", "text/*.jsonl' matches no file",
                           "broken.yaml:10:23: error: 'models' of step 'eval' names unknown step 'aling'; did you mean 'align'?",
                           "broken.yaml:11:22: error: item 1 of 'tasks' in step 'eval' (evaluate) 'hellaswg' is not one of",
                           "4 errors"] {
                #expect(r.stderr.contains(needle), "\(verb): missing \(needle) in\n\(r.stderr)")
            }
            noCrash(r)
        }
        // Nothing ran: no run folder, no cache entries.
        #expect(!FileManager.default.fileExists(atPath: w.runs.appendingPathComponent("broken").path))
    }

    @Test func theBenchmarksFolderIsAStepSettingCheckedAtValidate() throws {
        let w = try Workspace(); defer { w.cleanup() }
        let m = try w.manifest(to: "out")
        try FileManager.default.createDirectory(atPath: w.path("bench"), withIntermediateDirectories: true)
        try Data("{}\n".utf8).write(to: URL(fileURLWithPath: w.path("bench/piqa.jsonl")))
        let eval = ["-s", "steps.eval.kind=evaluate", "-s", "steps.eval.models=[tune]", "-s", "steps.eval.heldout_perplexity=false"]
        // The default is assets/benchmarks beside the manifest, which this workspace lacks.
        let missing = try w.rad("validate", m, eval + ["-s", "steps.eval.tasks=[piqa]"])
        #expect(missing.status == 2 && missing.stderr.contains("benchmarks folder 'assets/benchmarks' does not exist"), "\(missing.stderr)")
        let partial = try w.rad("validate", m, eval + ["-s", "steps.eval.tasks=[piqa, lambada]", "-s", "steps.eval.benchmarks=\(w.path("bench"))"])
        #expect(partial.status == 2 && partial.stderr.contains("has no lambada.jsonl"), "\(partial.stderr)")
        let ok = try w.rad("validate", m, eval + ["-s", "steps.eval.tasks=[piqa]", "-s", "steps.eval.benchmarks=\(w.path("bench"))"])
        #expect(ok.status == 0, "\(ok.stderr)")
    }

    @Test func skippingInputChecksStillValidatesTheDocument() throws {
        let w = try Workspace(); defer { w.cleanup() }
        let paper = PipelineCLITests.repo.appendingPathComponent("pipelines/paper/qwen2.5-7b-rad-rwkv6.yaml")
        let checked = try RadProcess.run(["validate", paper.path])
        #expect(checked.status == 2 && checked.stderr.contains("teacher source '/models/Qwen2.5-7B-Instruct' does not exist"), "\(checked.stderr)")
        let skipped = try RadProcess.run(["plan", paper.path, "--skip-input-checks", "--gflops", "1000", "--cache", w.cache.path, "--runs", w.runs.path])
        #expect(skipped.status == 0 && skipped.stdout.contains("distill_logits"), "\(skipped.stderr)")
    }

    @Test func everyRunHasItsOwnFolderAndTheLatestIsLinked() throws {
        let w = try Workspace(); defer { w.cleanup() }
        let m = try w.manifest(to: "out")
        #expect(try w.rad("run", m).status == 0)
        #expect(try w.rad("run", m, ["--force", "tune"]).status == 0)
        let name = w.runs.appendingPathComponent("exporter")
        let runs = try FileManager.default.contentsOfDirectory(atPath: name.path).filter { $0 != "latest" }.sorted()
        #expect(runs.count == 2, "\(runs)")
        let latest = try FileManager.default.destinationOfSymbolicLink(atPath: name.appendingPathComponent("latest").path)
        #expect(latest == runs.last)
        for id in runs {
            let record = try String(contentsOf: name.appendingPathComponent("\(id)/run.json"), encoding: .utf8)
            #expect(record.contains("\"run\": \"\(id)\""))
        }
        // Each run's metrics are its own, and every line names its run.
        let metrics = try String(contentsOf: name.appendingPathComponent("\(runs[1])/metrics.jsonl"), encoding: .utf8)
        let lines = metrics.split(separator: "\n")
        #expect(!lines.isEmpty && lines.allSatisfy { $0.contains("\"run\":\"\(runs[1])\"") }, "\(metrics)")
        // `rad report runs/NAME` reports the latest run, in its own folder.
        let report = try RadProcess.run(["report", name.path])
        #expect(report.status == 0 && report.stdout.contains("\(runs[1])/report.html"), "\(report.stdout)\(report.stderr)")
    }

    @Test func anExportOfAnotherConfigurationDoesNotOverwriteTheFirst() throws {
        let w = try Workspace(); defer { w.cleanup() }
        let m = try w.manifest(to: "out")
        #expect(try w.rad("run", m).status == 0)
        let weights = try Data(contentsOf: URL(fileURLWithPath: w.path("out/model.safetensors")))
        let swapped = try w.rad("run", m, ["-s", "student.architecture=rad-rwkv7"])
        #expect(swapped.status == 2, "\(swapped.stderr)")
        #expect(swapped.stderr.contains("made from another configuration (student.architecture rad-rwkv6 -> rad-rwkv7)"), "\(swapped.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: w.path("out/model.safetensors"))) == weights)
        // The same configuration re-exports; a cosmetic change (threads) is the same configuration.
        #expect(try w.rad("run", m, ["-s", "steps.tune.threads=1", "--force", "export"]).status == 0)
        // Elsewhere, the other architecture exports.
        #expect(try w.rad("run", m, ["-s", "student.architecture=rad-rwkv7", "-s", "steps.export.to=out7"]).status == 0)
        #expect(FileManager.default.fileExists(atPath: w.path("out7/model.safetensors")))
    }

    @Test func thePlanStatesItsMachineATotalAndMemory() throws {
        let w = try Workspace(); defer { w.cleanup() }
        let m = try w.manifest(to: "out")
        let given = try w.rad("plan", m, ["--gflops", "1000"])
        #expect(given.status == 0, "\(given.stderr)")
        let lines = given.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("machine: ") == true && lines.first?.contains("training at 1000 GFLOP/s (given with --gflops)") == true, "\(given.stdout)")
        #expect(lines.contains { $0.hasPrefix("step ") && $0.contains("peak mem") })
        #expect(lines.contains { $0.hasPrefix("total ") && $0.contains("to compute") }, "\(given.stdout)")
        // Without --gflops the rate is measured once and cached.
        let measured = try w.rad("plan", m, ["--json"])
        #expect(measured.status == 0, "\(measured.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(measured.stdout.utf8)) as! [String: Any]
        let machine = json["machine"] as! [String: Any]
        #expect(machine["origin"] as? String == "calibrated" && (machine["gemm_flops_per_s"] as? Double ?? 0) > 1e9, "\(machine)")
        #expect(FileManager.default.fileExists(atPath: w.cache.appendingPathComponent("machine.json").path))
        let tune = (json["steps"] as! [[String: Any]]).first { $0["id"] as? String == "tune" }!
        #expect((tune["peak_bytes"] as? Double ?? 0) > 0)
        #expect((json["total"] as? [String: Any])?["tokens"] as? Int == 128)
        let bad = try w.rad("plan", m, ["--gflops", "0"])
        #expect(bad.status == 2 && bad.stderr.contains("--gflops must be a positive number"), "\(bad.stderr)")
    }

    @Test func aScalarForTheLearningRateKeepsTheScheduleAndThePlanShowsIt() throws {
        let w = try Workspace(); defer { w.cleanup() }
        let m = try w.manifest(to: "out")
        let r = try w.rad("plan", m, ["--gflops", "100", "-s", "steps.tune.lr={schedule: linear, init: 1e-3, final: 1e-5, warmup_steps: 3}"])
        #expect(r.status == 0, "\(r.stderr)")
        let file = w.dir.appendingPathComponent("lr.yaml")
        try Data((try String(contentsOf: m, encoding: .utf8)).replacingOccurrences(of: "lr: 1e-4", with: "lr: { schedule: linear, init: 1e-3, final: 1e-5, warmup_steps: 3 }").utf8).write(to: file)
        let scalar = try w.rad("plan", file, ["--gflops", "100", "-s", "steps.tune.lr=2e-5"])
        #expect(scalar.status == 0, "\(scalar.stderr)")
        #expect(scalar.stdout.contains("-s steps.tune.lr=2e-5  ->  steps.tune.lr: "), "\(scalar.stdout)")
        #expect(scalar.stdout.contains("\"init\":2e-05") && scalar.stdout.contains("\"warmup_steps\":3") && scalar.stdout.contains("\"schedule\":\"linear\""),
                "\(scalar.stdout)")
    }

    @Test func theModelCardCarriesHubMetadataTheRecipeAndTheTrainingSummary() throws {
        let w = try Workspace(); defer { w.cleanup() }
        let m = try w.manifest(to: "out")
        #expect(try w.rad("run", m).status == 0)
        let card = try String(contentsOfFile: w.path("out/README.md"), encoding: .utf8)
        #expect(card.hasPrefix("---\n"), "\(card)")
        let front = card.dropFirst(4).components(separatedBy: "\n---\n").first ?? ""
        for needle in ["base_model: \"qwen2_untied_bias\"", "pipeline_tag: text-generation", "- \"radlads\"", "- \"rad-rwkv6\""] {
            #expect(front.contains(needle), "missing \(needle) in\n\(front)")
        }
        #expect(card.contains("## Recipe\n\n1. `tune` (finetune): stage 3, fine-tuning at a longer context; 128 tokens, seq_len 32, batch 4, lr constant 0.0001"), "\(card)")
        #expect(card.contains("| tune | finetune | 128 | 1 | "), "\(card)")
        // `rad inspect` reads rad's own export.
        let inspect = try RadProcess.run(["inspect", w.path("out")])
        #expect(inspect.status == 0 && !inspect.stdout.contains("not supported") && !inspect.stderr.contains("not supported"), "\(inspect.stdout)\(inspect.stderr)")
    }

    @Test func thePlanTakesANamedDevice() throws {
        let w = try Workspace(); defer { w.cleanup() }
        let m = try w.manifest(to: "out")
        let h100 = try w.rad("plan", m, ["--device", "h100"])
        #expect(h100.status == 0, "\(h100.stderr)")
        let first = h100.stdout.split(separator: "\n").first.map(String.init) ?? ""
        #expect(first.hasPrefix("machine: NVIDIA H100 SXM 80GB (an assumed device, not this machine), 79.6 GiB memory; training at 396 TFLOP/s "
                                + "(assumed: 40% of its dense bf16 peak of 989 TFLOP/s; fp32 67.0 TFLOP/s)"), "\(first)")
        let json = try w.rad("plan", m, ["--device", "H200", "--json"])
        #expect(json.status == 0, "\(json.stderr)")
        let machine = (try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [String: Any])["machine"] as! [String: Any]
        #expect(machine["origin"] as? String == "device" && machine["device"] as? String == "h200", "\(machine)")
        #expect(machine["memory_bytes"] as? Int == 143_771 << 20 && machine["training_flops_per_s"] as? Double == 395.6e12, "\(machine)")
        // cpu is this machine, calibrated.
        let cpu = try w.rad("plan", m, ["--device", "cpu", "--json"])
        #expect(cpu.stdout.contains("\"origin\": \"calibrated\""), "\(cpu.stdout)\(cpu.stderr)")
        let typo = try w.rad("plan", m, ["--device", "h10"])
        #expect(typo.status == 2 && typo.stderr.contains("--device 'h10' is not a known device (known: cpu, a100, h100, h200, rtx4090; "
                                                   + "or --gflops N for another machine); did you mean 'h100'?"), "\(typo.stderr)")
        noCrash(typo)
        let both = try w.rad("plan", m, ["--device", "a100", "--gflops", "10"])
        #expect(both.status == 2 && both.stderr.contains("give --device or --gflops, not both"), "\(both.stderr)")
    }

    /// A run that starts over after discarding a cache entry damaged under a matching checksum keeps its
    /// one folder; before, the first attempt's folder was left under runs/NAME without a record.
    @Test func aRunRetriedAfterACorruptEntryLeavesNoFolderWithoutARecord() throws {
        let w = try Workspace(); defer { w.cleanup() }
        let m = try w.manifest(to: "out")
        #expect(try w.rad("run", m).status == 0)
        let name = w.runs.appendingPathComponent("exporter")
        let record = try JSONSerialization.jsonObject(with: Data(contentsOf: name.appendingPathComponent("latest/run.json"))) as! [String: Any]
        let key = try #require(((record["nodes"] as? [String: Any])?["tune"] as? [String: Any])?["key"] as? String)
        let entry = try #require(try ArtifactStore(root: w.cache).get(key: key)).directory
        // A damaged zstd frame, re-signed as a writer with a broken compressor would have.
        let bundle = entry.appendingPathComponent(Artifact.tensorFile)
        var bytes = try Data(contentsOf: bundle)
        let oldSHA = try Self.sha256(bundle)
        bytes[bytes.count - 2] ^= 0xFF
        try bytes.write(to: bundle)
        let meta = entry.appendingPathComponent("meta.json")
        let text = try String(contentsOf: meta, encoding: .utf8)
        #expect(text.contains(oldSHA))
        try Data(text.replacingOccurrences(of: oldSHA, with: try Self.sha256(bundle)).utf8).write(to: meta)

        let r = try w.rad("run", m, ["--force", "export"])
        #expect(r.status == 0 && r.stderr.contains("is corrupt"), "\(r.stderr)")
        let folders = try FileManager.default.contentsOfDirectory(atPath: name.path).filter { $0 != "latest" }.sorted()
        #expect(folders.count == 2, "\(folders)")
        for f in folders {
            #expect(FileManager.default.fileExists(atPath: name.appendingPathComponent("\(f)/run.json").path), "\(f) has no record")
        }
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: name.appendingPathComponent("latest").path) == folders.last)
    }

    static func sha256(_ file: URL) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        p.arguments = [file.path]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(String(decoding: data, as: UTF8.self).prefix(64))
    }
}
