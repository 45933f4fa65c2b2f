import Foundation
import Testing
import RadPipeline

@Suite struct ManifestTests {
    @Test func everyPipelineValidates() throws {
        let files = Paths.pipelineManifests
        #expect(files.count >= 14)
        for f in files {
            let d = diagnostics(f)
            #expect(d.isEmpty, "\(f): \(d.map(\.description))")
        }
    }

    @Test func paperRecipesCarryTable2Values() throws {
        let m = try ManifestLoader.load(Paths.pipelines.appendingPathComponent("paper/qwen2.5-72b-rad-rwkv7.yaml").path)
        #expect(m.student?.architecture == "rad-rwkv7")
        #expect(m.teacher?.source == "/models/Qwen2.5-72B-Instruct")
        let align = m.step(named: "align")!.settings, distill = m.step(named: "distill")!.settings, ft = m.step(named: "finetune")!.settings
        #expect(align["tokens"] == .int(100_000_000) && align["seq_len"] == .int(512) && align["batch"] == .int(32))
        #expect(align["lr"]?["schedule"] == .string("quarter_cosine") && align["lr"]?["init"] == .double(1e-3) && align["lr"]?["final"] == .double(1e-5))
        #expect(distill["tokens"] == .int(500_000_000) && distill["batch"] == .int(96) && distill["lr"]?["init"] == .double(1e-5))
        #expect(ft["tokens"] == .int(100_000_000) && ft["seq_len"] == .int(16384) && ft["batch"] == .int(96))
        for s in [align, distill, ft] {
            #expect(s["adam"] == .object(["beta1": .double(0.9), "beta2": .double(0.95), "eps": .double(1e-8), "weight_decay": .double(0)]))
            #expect(s["grad_clip"] == .double(1))
        }
    }

    @Test func ablationsChangeOneOption() throws {
        let dir = Paths.pipelines.appendingPathComponent("paper/ablations")
        let none = try ManifestLoader.load(dir.appendingPathComponent("base.yaml").path).student!.options
        for (file, option, value) in [("rope", "rope", CanonicalValue.bool(true)), ("no-tokenshift", "tokenshift", .bool(false)),
                                      ("no-gate", "gate", .string("none")), ("groupnorm", "state_balance", .bool(false))] {
            var expected = none
            expected[option] = value
            #expect(try ManifestLoader.load(dir.appendingPathComponent("\(file).yaml").path).student!.options == expected)
        }
    }

    @Test func sizesAsUsersWriteThem() {
        #expect(SizeParser.parse("100M") == .value(100_000_000))
        #expect(SizeParser.parse("2.5k") == .value(2500))
        #expect(SizeParser.parse("0.3k") == .value(300))
        #expect(SizeParser.parse("1_000_000") == .value(1_000_000))
        #expect(SizeParser.parse("1e6") == .value(1_000_000))
        #expect(SizeParser.parse("3B") == .value(3_000_000_000))
        #expect(SizeParser.parse("1.5") == .notWhole)
        #expect(SizeParser.parse("lots") == .notASize)
        #expect(SizeParser.parse("999999T") == .tooLarge)
    }

    @Test func extendsMergesDeeply() throws {
        let t = try TempDir(); defer { t.cleanup() }
        _ = try t.write("base/base.yaml", """
            name: base
            seed: 1
            teacher: { source: teacher.gguf }
            data: { train: { files: [text/*.txt] } }
            student: { architecture: rad-rwkv6, options: { rope: true } }
            steps:
              align: { kind: align_hidden_states, tokens: 1M, seq_len: 128, batch: 2 }
            """)
        let child = try t.write("child.yaml", """
            extends: base/base.yaml
            name: child
            student: { options: { gate: none } }
            steps:
              align: { tokens: 2M }
            """)
        let m = try ManifestLoader.load(child)
        #expect(m.name == "child" && m.seed == 1)
        #expect(m.student?.options["rope"] == .bool(true) && m.student?.options["gate"] == .string("none"))
        let align = m.step(named: "align")!.settings
        #expect(align["tokens"] == .int(2_000_000) && align["seq_len"] == .int(128) && align["batch"] == .int(2))
        // Paths in the base stay relative to the base file.
        #expect(m.teacher?.source == t.url.appendingPathComponent("base/teacher.gguf").standardized.path)
    }

    @Test func interpolation() throws {
        let t = try TempDir(); defer { t.cleanup() }
        let f = try t.write("m.yaml", """
            name: ${model}-run
            seed: ${seed}
            vars: { model: tiny, seed: 7, dir: "${env:RAD_TEST_DIR}", lit: "$${not}" }
            teacher: { source: "${dir}/t.gguf" }
            tokenizer: { source: "${lit}" }
            data: { train: { files: ["${dir}/*.txt"] } }
            student: { architecture: rad-rwkv6 }
            steps:
              align: { kind: align_hidden_states, seq_len: "${seed}" }
            """)
        let m = try ManifestLoader.load(f, environment: ["RAD_TEST_DIR": "/data"])
        #expect(m.name == "tiny-run")
        #expect(m.seed == 7) // a whole-scalar variable keeps its type
        #expect(m.teacher?.source == "/data/t.gguf")
        #expect(m.tokenizer?.hasSuffix("/${not}") == true)
        // Even quoted, a scalar that is exactly one variable takes the variable's type.
        #expect(m.step(named: "align")!.settings["seq_len"] == .int(7))
    }

    @Test func overridesAreTypeChecked() throws {
        let q = Paths.pipelines.appendingPathComponent("quickstart.yaml").path
        let m = try ManifestLoader.load(q, overrides: ["steps.distill.lr=2e-5", "student.architecture=rad-rwkv7", "seed=9"])
        #expect(m.step(named: "distill")!.settings["lr"]?["init"] == .double(2e-5))
        // The scalar set the record's `init` and kept the rest: the manifest's warm-up of 2 steps, not the
        // schema's 50 (before, the whole record was replaced).
        #expect(m.step(named: "distill")!.settings["lr"]?["warmup_steps"] == .int(2))
        #expect(m.step(named: "distill")!.settings["lr"]?["schedule"] == .string("constant"))
        #expect(m.student?.architecture == "rad-rwkv7" && m.seed == 9)
        // A whole record still replaces the record.
        let whole = try ManifestLoader.load(q, overrides: ["steps.distill.lr={init: 3e-5}"])
        #expect(whole.step(named: "distill")!.settings["lr"]?["init"] == .double(3e-5))
        #expect(whole.step(named: "distill")!.settings["lr"]?["warmup_steps"] != .int(2))
        let bad = diagnostics(q, overrides: ["steps.align.batch=many"])
        #expect(bad.count == 1)
        #expect(bad.first?.location?.file == "-s steps.align.batch=many")
        #expect(bad.first?.location?.column == 19)
        #expect(bad.first?.message.contains("'batch' in step 'align' (align_hidden_states) must be a whole number") == true)
        let typo = diagnostics(q, overrides: ["steps.align.sequence_len=4"])
        #expect(typo.first?.message.contains("unknown key 'sequence_len'") == true)
        // A misspelt step name in an override makes a step without a kind: the message names the step meant.
        let step = diagnostics(q, overrides: ["steps.algn.tokens=5k"])
        #expect(step.first?.message.hasSuffix("; did you mean step 'align'?") == true, "\(step)")
        // A choice written without its prefix is suggested too (before: no suggestion for 'rwkv6').
        let arch = diagnostics(q, overrides: ["student.architecture=rwkv6"])
        #expect(arch.first?.message.hasSuffix("; did you mean 'rad-rwkv6'?") == true, "\(arch)")
        #expect(Suggestions.closest(to: "rwkv", in: ["rad-rwkv6", "rad-rwkv7"]) == nil)
        #expect(diagnostics(q, overrides: ["nonsense"]).first?.category == .override)
        // Variables can be overridden; every use changes.
        let v = try ManifestLoader.load(q, overrides: ["vars.seq_len=64"])
        #expect(v.step(named: "align")!.settings["seq_len"] == .int(64) && v.step(named: "distill")!.settings["seq_len"] == .int(64))
    }

    @Test func errorsRenderWithLineAndCaret() throws {
        let t = try TempDir(); defer { t.cleanup() }
        let f = try t.write("m.yaml", "name: x\nsteps:\n  a: { kind: distil_logits }\n")
        do {
            _ = try ManifestLoader.load(f)
            Issue.record("expected an error")
        } catch let e as ManifestLoader.Failure {
            let lines = e.rendered.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            // (Other tests register test kinds, which may extend the list of kinds.)
            #expect(lines[0].contains("m.yaml:3:14: error: kind of step 'a' 'distil_logits' is not one of align_hidden_states, distill_logits, finetune, export_hf, evaluate"))
            #expect(lines[0].hasSuffix("did you mean 'distill_logits'?"))
            #expect(lines[1] == "  a: { kind: distil_logits }")
            #expect(lines[2] == "             ^")
        }
    }

    @Test func hostileYamlNeverCrashes() throws {
        let t = try TempDir(); defer { t.cleanup() }
        var rng = SystemRandomNumberGenerator()
        for i in 0..<50 {
            let bytes = (0..<Int.random(in: 1...400, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let u = t.url.appendingPathComponent("g\(i).yaml")
            try Data(bytes).write(to: u)
            #expect(!diagnostics(u.path).isEmpty)
        }
        // Deeply nested block mappings, long scalars, huge numbers.
        let deep = (0..<200).map { String(repeating: "  ", count: $0) + "k\($0):" }.joined(separator: "\n") + " 1\n"
        #expect(diagnostics(try t.write("deep.yaml", deep)).first?.message.contains("nesting deeper than 64") == true)
        let huge = try t.write("huge.yaml", "name: x\nseed: 1e400\nsteps: { a: { kind: distill_logits, tokens: 1e400, lr: 1e-400 } }\n")
        #expect(!diagnostics(huge).isEmpty)
    }

    @Test func resolvedDocumentKeepsTypes() throws {
        let m = try ManifestLoader.load(Paths.pipelines.appendingPathComponent("quickstart.yaml").path)
        #expect(m.resolved["seed"] == .int(1234))
        #expect(m.resolved["steps"]?["align"]?["tokens"] == .string("64k"))
    }
}
