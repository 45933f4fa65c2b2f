import Foundation
import Testing

/// The pipeline verbs as a user runs them: exit codes (0 ok, 1 run failure, 2 invalid input), messages,
/// and never a crash or stack trace.
@Suite struct PipelineCLITests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let bad = repo.appendingPathComponent("Tests/RadPipelineTests/Fixtures/bad")

    static func temp() throws -> URL {
        let u = FileManager.default.temporaryDirectory.appendingPathComponent("rad-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
        return u
    }

    func noCrash(_ r: RadProcess.Result) {
        #expect(!r.stderr.contains("Fatal error") && !r.stderr.contains("Stack dump") && r.status < 128, "\(r.stderr)")
    }

    @Test func validateEveryPipeline() throws {
        let files = (FileManager.default.subpaths(atPath: Self.repo.appendingPathComponent("pipelines").path) ?? [])
            .filter { $0.hasSuffix(".yaml") }.map { "pipelines/" + $0 }
        // The paper's manifests name teachers and data this machine lacks: they validate as documents.
        let r = try RadProcess.run(["validate", "--skip-input-checks"] + files, cwd: Self.repo)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.components(separatedBy: ": ok (").count - 1 == files.count)
        let own = files.filter { !$0.hasPrefix("pipelines/paper/") }
        let checked = try RadProcess.run(["validate"] + own, cwd: Self.repo)
        #expect(checked.status == 0, "\(checked.stderr)")
    }

    @Test func invalidManifestExitsTwoWithCaret() throws {
        let r = try RadProcess.run(["validate", "Tests/RadPipelineTests/Fixtures/bad/many-errors.yaml"], cwd: Self.repo)
        #expect(r.status == 2)
        #expect(r.stderr.contains("Tests/RadPipelineTests/Fixtures/bad/many-errors.yaml:14:39: error: unknown key 'seq_lne' in step 'align' (align_hidden_states); did you mean 'seq_len'?\n  align: { kind: align_hidden_states, seq_lne: 512, batch: -1 }\n                                      ^\n"))
        // The teacher and the data globs it names do not exist either: reported with the rest (it used to pass unnoticed).
        #expect(r.stderr.contains("many-errors.yaml:7:20: error: teacher source '"), "\(r.stderr)")
        #expect(r.stderr.contains("many-errors.yaml:9:20: error: data source 'train': '") && r.stderr.hasSuffix("7 errors\n"), "\(r.stderr)")
        noCrash(r)
    }

    @Test func everyBadManifestExitsTwo() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.bad.path).filter { $0.hasSuffix(".yaml") }
        for f in files {
            let r = try RadProcess.run(["validate", Self.bad.appendingPathComponent(f).path])
            #expect(r.status == 2, "\(f): \(r.status) \(r.stderr)")
            #expect(r.stderr.contains(": error: "), "\(f)")
            noCrash(r)
        }
    }

    @Test func badOverrideIsNamed() throws {
        let r = try RadProcess.run(["plan", "pipelines/quickstart.yaml", "-s", "steps.align.lr=fast", "--cache", "/tmp/rad-cli-unused"], cwd: Self.repo)
        #expect(r.status == 2)
        // The scalar sets the manifest's lr record's `init` (the rest of the record is kept), so that is what it names.
        #expect(r.stderr.hasPrefix("-s steps.align.lr=fast:1:16: error: 'init' in 'lr' in step 'align' (align_hidden_states) must be a number, found 'fast'\nsteps.align.lr=fast\n               ^\n"), "\(r.stderr)")
    }

    @Test func planJsonAndTable() throws {
        let dir = try Self.temp(); defer { try? FileManager.default.removeItem(at: dir) }
        let cache = dir.appendingPathComponent("cache").path
        let r = try RadProcess.run(["plan", "pipelines/quickstart.yaml", "--json", "--cache", cache, "--runs", dir.path], cwd: Self.repo)
        #expect(r.status == 0, "\(r.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        let steps = json["steps"] as! [[String: Any]]
        let align = steps.first { $0["id"] as? String == "align" }!
        #expect(align["decision"] as? String == "run" && align["optimizer_steps"] as? Int == 32)
        #expect((align["why"] as? [String]) == ["no entry"])
        let t = try RadProcess.run(["plan", "pipelines/quickstart.yaml", "--cache", cache, "--runs", dir.path], cwd: Self.repo)
        #expect(t.status == 0 && t.stdout.hasPrefix("machine: ") && t.stdout.contains("\nstep ") && t.stdout.contains("distill_logits"), "\(t.stdout)")
    }

    @Test func runFailsCleanlyOnABadTeacherFile() throws {
        let dir = try Self.temp(); defer { try? FileManager.default.removeItem(at: dir) }
        try Data("not really a gguf".utf8).write(to: dir.appendingPathComponent("t.gguf"))
        for ext in ["bin", "idx"] { try Data([0]).write(to: dir.appendingPathComponent("tok.\(ext)")) }
        try Data("name: m\nteacher: { source: t.gguf }\ndata: { train: { binidx: tok } }\nstudent: { architecture: rad-rwkv7 }\nsteps: { align: { kind: align_hidden_states } }\n".utf8)
            .write(to: dir.appendingPathComponent("m.yaml"))
        let r = try RadProcess.run(["run", "m.yaml"], cwd: dir)
        // A damaged model file is invalid input (exit 2) also when a step is the one that finds it.
        #expect(r.status == 2)
        #expect(r.stderr.contains("error: step 'student.init' (init_student) failed: \(dir.path)/t.gguf: not a GGUF file"), "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("runs/m/latest/run.json").path))
        noCrash(r)
        let until = try RadProcess.run(["run", "m.yaml", "--until", "algn"], cwd: dir)
        #expect(until.status == 2 && until.stderr.contains("no step 'algn' in m.yaml; did you mean 'align'?"))
    }

    @Test func dagFormats() throws {
        let m = try RadProcess.run(["dag", "pipelines/quickstart.yaml"], cwd: Self.repo)
        #expect(m.status == 0 && m.stdout.hasPrefix("flowchart TD\n") && m.stdout.contains("n_align -->|model| n_distill"))
        let d = try RadProcess.run(["dag", "pipelines/quickstart.yaml", "--format", "dot"], cwd: Self.repo)
        #expect(d.status == 0 && d.stdout.hasPrefix("digraph pipeline {") && d.stdout.contains("n_teacher -> n_align [label=\"teacher\"];"))
    }

    @Test func cacheVerbsOnAnEmptyCache() throws {
        let dir = try Self.temp(); defer { try? FileManager.default.removeItem(at: dir) }
        let cache = dir.appendingPathComponent("c").path
        let ls = try RadProcess.run(["cache", "ls", "--cache", cache])
        #expect(ls.status == 0 && ls.stdout.contains("0 entries"))
        let v = try RadProcess.run(["cache", "verify", "--cache", cache])
        #expect(v.status == 0 && v.stdout.contains("all entries intact"))
        let gc = try RadProcess.run(["cache", "gc", "--cache", cache, "--keep", Self.repo.appendingPathComponent("pipelines/quickstart.yaml").path, "--dry-run"])
        #expect(gc.status == 0 && gc.stdout.contains("would free 0 B"), "\(gc.stdout)\(gc.stderr)")
    }
}

@Suite struct UsageExitCodeTests {
    @Test func badCommandLineIsInvalidInput() throws {
        let r = try RadProcess.run(["validate", "--no-such-flag", "x.yaml"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("--no-such-flag"))
        let h = try RadProcess.run(["plan", "--help"])
        #expect(h.status == 0 && h.stdout.contains("--json"))
    }
}
