import Foundation
import Testing
import RadOps
import RadPipeline

/// A setting's default is stated once, in its kind's spec, and every reader (executor, planner, memory
/// check) sees that value; values the schema allows but the engine would silently replace are refused.
@Suite struct StepDefaultsTests {
    static let teacher = Paths.tests.deletingLastPathComponent()
        .appendingPathComponent("RadModelZooTests/Fixtures/teachers/qwen2_untied_bias").path

    /// `test_passthrough`: its input model unchanged, so that an export runs without a training stage.
    struct Passthrough: StepKind {
        struct Settings: Sendable {}
        static let spec = StepKindSpec(
            name: "test_passthrough", summary: "its input model, unchanged",
            settings: [SettingSpec("after", .stepRef, "input (default: the initialised student)")],
            modelInput: .optional, producesModel: true)
        static func decode(_ r: StepRecord) throws -> Settings { Settings() }
        func run(_ s: Settings, _ c: StepContext) throws -> StepOutput {
            guard let a = c.inputs["model"] else { throw StepFailure("no input model") }
            var files: [String: URL] = [:]
            for key in a.files.keys where key.hasPrefix("files/") {
                let name = String(key.dropFirst("files/".count))
                files[name] = a.file(name)
            }
            return StepOutput(tensors: try a.tensors(), files: files)
        }
    }

    static let registered: Void = StepKindCatalog.shared.register(Passthrough.self)

    static func load(_ t: TempDir, _ steps: String, teacher: String = "{ source: t.gguf }") throws -> (String, [Diagnostic]) {
        let file = try t.write("m.yaml", "name: defaults\nteacher: \(teacher)\ndata: { train: { binidx: tok } }\n"
                               + "student: { architecture: rad-rwkv6 }\nsteps:\n\(steps)\n")
        return (file, diagnostics(file))
    }

    /// An export without `dtype` writes bf16, the schema's default (`ExportStep` used to fall back to f32
    /// for a record without it), and `dtype: f32` writes f32.
    @Test func exportWithoutDtypeWritesBF16() throws {
        _ = Self.registered
        let t = try TempDir(); defer { t.cleanup() }
        // Two folders: an export of another configuration (another dtype) is refused where one already is.
        for (dtype, folder, tensorType, torchType) in [("", "out", "BF16", "bfloat16"), (", dtype: f32", "out-f32", "F32", "float32")] {
            let (file, d) = try Self.load(t, "  pass: { kind: test_passthrough }\n  export: { kind: export_hf, after: pass, to: \(folder)\(dtype) }",
                                          teacher: "{ source: \(Self.teacher), format: hf }")
            #expect(d.isEmpty, "\(d)")
            let m = try ManifestLoader.load(file)
            _ = try Runner(manifest: m, store: try ArtifactStore(root: t.url.appendingPathComponent("cache")), registry: .registered,
                           options: .init(runsRoot: t.url.appendingPathComponent("runs"))).run()
            let out = t.url.appendingPathComponent(folder)
            let config = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("config.json"))) as? [String: Any]
            #expect(config?["torch_dtype"] as? String == torchType)
            let weights = try SafetensorsFile(path: out.appendingPathComponent("model.safetensors").path)
            #expect(!weights.tensors.isEmpty && weights.tensors.values.allSatisfy { $0.dtype == tensorType })
        }
    }

    /// Values the schema lists but the engine does not implement used to be accepted and replaced
    /// silently (f16 written as f32, loss mse trained as l2_rms, any temperature run at 1); now they are
    /// refused at the setting.
    @Test func unimplementedValuesAreRefusedAtTheSetting() throws {
        let t = try TempDir(); defer { t.cleanup() }
        // (steps, the written value blamed, the message)
        let cases: [(String, String, String)] = [
            ("  a: { kind: align_hidden_states }\n  export: { kind: export_hf, after: a, to: out, dtype: f16 }", "f16",
             "'dtype' in step 'export' (export_hf): 'f16' is not implemented yet (the exporter writes bf16 or f32); use bf16 or f32"),
            ("  a: { kind: align_hidden_states, loss: mse }", "mse",
             "'loss' in step 'a' (align_hidden_states): 'mse' is not implemented yet (stage 1 trains on l2_rms); use l2_rms"),
            ("  d: { kind: distill_logits, temperature: 2 }", "2",
             "'temperature' in step 'd' (distill_logits): 2.0 is not implemented yet (the KL runs at temperature 1); leave it out or write 1"),
        ]
        for (steps, value, message) in cases {
            let (_, d) = try Self.load(t, steps)
            #expect(d.map(\.message) == [message])
            // At the value: the last line of `steps`, line 5 + its index in the file's `steps:` block.
            let lines = steps.split(separator: "\n")
            let column = lines.last!.distance(from: lines.last!.startIndex, to: lines.last!.range(of: value, options: .backwards)!.lowerBound) + 1
            #expect(d.first?.location?.line == 5 + lines.count && d.first?.location?.column == column, "\(d)")
        }
        // The values that are implemented still validate.
        #expect(try Self.load(t, "  a: { kind: align_hidden_states, loss: l2_rms }\n  d: { kind: distill_logits, after: a, temperature: 1 }\n"
                              + "  export: { kind: export_hf, after: d, to: out, dtype: f32 }").1.isEmpty)
    }

    /// One list of schedule names: the validator's choice, the JSON Schema's enum and the decoder's cases.
    /// A name outside it (`cos`, `cosine`) is refused; before, the decoder mapped unknown names to a
    /// constant rate.
    @Test func scheduleNamesAreOneList() throws {
        #expect(LearningRateSchedule.schedules == LearningRateSchedule.Shape.allCases.map(\.rawValue))
        #expect(JSONSchemaGenerator.schema()["$defs"]?["lr_schedule"]?["properties"]?["schedule"]?["enum"]
                == .array(LearningRateSchedule.schedules.map { .string($0) }))
        let t = try TempDir(); defer { t.cleanup() }
        for name in ["cos", "cosine"] {
            let (_, d) = try Self.load(t, "  a: { kind: align_hidden_states, lr: { schedule: \(name), init: 1e-3 } }")
            #expect(d.count == 1 && d[0].message.hasPrefix("'schedule' in 'lr' in step 'a' (align_hidden_states) '\(name)' is not one of quarter_cosine, linear, exp, constant"), "\(d)")
        }
        let record = StepRecord(step: "a", kind: "align_hidden_states", values: [
            "schedule": .string("cosine"), "init": .double(1e-3), "final": .double(1e-3), "warmup_steps": .int(0),
            "wait": .double(0), "endpoint": .double(1)])
        #expect(throws: StepFailure.self) { try LearningRateSchedule(record) }
        let (file, _) = try Self.load(t, "  a: { kind: align_hidden_states, lr: { schedule: quarter_cosine, init: 1e-3, final: 1e-5 } }")
        let s = try ManifestLoader.load(file).steps[0].settings["lr"]
        #expect(s?["schedule"] == .string("quarter_cosine") && s?["warmup_steps"] == .int(50))
    }

    /// Training, the planner and the memory check count the same optimizer steps from the same defaults:
    /// a step without `seq_len` trains on the spec's 512 everywhere (the planner and memory check used
    /// to read a missing one as 1).
    @Test func plannerAndTrainingShareTheStepCountAndDefaults() throws {
        let t = try TempDir(); defer { t.cleanup() }
        let (file, d) = try Self.load(t, "  a: { kind: distill_logits, tokens: 10k, batch: 2 }\n  b: { kind: finetune, after: a, tokens: 1000, seq_len: 7, batch: 3 }")
        #expect(d.isEmpty, "\(d)")
        let m = try ManifestLoader.load(file)
        let plan = Planner(store: try ArtifactStore(root: t.url.appendingPathComponent("c")), runsRoot: t.url, shapes: nil).plan(m)
        for (id, tokens, perStep) in [("a", 10_000, 2 * 512), ("b", 1000, 3 * 7)] {
            let entry = try #require(plan.entries.first { $0.id == id })
            let expected = TrainingSettings.optimizerSteps(tokens: tokens, tokensPerStep: perStep)
            #expect(entry.optimizerSteps == Int64(expected))
            #expect(m.step(named: id)?.decoded.training?.optimizerSteps == Int64(expected))
        }
        #expect(plan.entries.first { $0.id == "a" }?.optimizerSteps == 10 && plan.entries.first { $0.id == "b" }?.optimizerSteps == 48)

        let teacher = try MemoryLimitsTests.smolLM2Folder()
        defer { try? FileManager.default.removeItem(at: teacher) }
        let tooSmall = MemoryLimitsTests.diagnostics(try MemoryLimitsTests.manifest(teacher: teacher, step: "  a: { kind: distill_logits, batch: 2 }"), 0.01)
        #expect(tooSmall.count == 1 && tooSmall[0].message.contains("at batch 2 x seq_len 512"), "\(tooSmall)")
    }
}
