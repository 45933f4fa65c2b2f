import Foundation
import Testing
import RadOps
import RadPipeline

/// A step kind is one type and one registration: this file's `test_ramp` is validated (defaults, typos,
/// what it needs), planned (its training loop's counts) and run (found in `ExecutorRegistry.registered`)
/// without anything else naming it.
@Suite struct StepKindRegistryTests {
    /// `test_ramp`: the tensor [0, 1, …, size-1] × scale, with a pretend training budget for the planner
    /// and an optional need of the teacher.
    struct Ramp: StepKind {
        struct Settings: Sendable {
            var scale: Float, size: Int, tokens: Int64, seqLen: Int64, batch: Int64, withTeacher: Bool
        }
        static let spec = StepKindSpec(
            name: "test_ramp", summary: "a ramp of `size` values times `scale`",
            settings: [
                SettingSpec("scale", .number(min: nil, max: nil), default: .double(2), "factor"),
                SettingSpec("size", .int(min: 1, max: 100), default: .int(3), "length"),
                SettingSpec("tokens", .size(min: 1), default: .int(100), "pretend training budget"),
                SettingSpec("seq_len", .int(min: 1, max: 100), default: .int(7), "pretend sequence length"),
                SettingSpec("batch", .int(min: 1, max: 100), default: .int(3), "pretend batch"),
                SettingSpec("with_teacher", .bool, default: .bool(false), "read the teacher"),
                SettingSpec("note", .string(pattern: nil), default: .string(""), cosmetic: true, "cosmetic"),
            ],
            modelInput: .none, producesModel: true)

        static func decode(_ r: StepRecord) throws -> Settings {
            Settings(scale: Float(try r.double("scale")), size: Int(try r.int("size")), tokens: try r.int("tokens"),
                     seqLen: try r.int("seq_len"), batch: try r.int("batch"), withTeacher: try r.bool("with_teacher"))
        }
        static func needs(_ s: Settings) -> StepNeeds { StepNeeds(teacher: s.withTeacher) }
        static func training(_ s: Settings) -> TrainingLoop? { TrainingLoop(tokens: s.tokens, seqLen: s.seqLen, batch: s.batch) }

        func run(_ s: Settings, _ c: StepContext) throws -> StepOutput {
            StepOutput(tensors: ["w": Tensor(shape: [s.size]) { Float($0) * s.scale }])
        }
    }

    static let registered: Void = StepKindCatalog.shared.register(Ramp.self)

    static func manifest(_ t: TempDir, _ step: String, teacher: Bool = false) throws -> String {
        _ = registered
        return try t.write("m.yaml", "name: ramp\n" + (teacher ? "teacher: { source: t.gguf }\n" : "") + "steps:\n  r: \(step)\n")
    }

    @Test func aKindIsOneTypeAndOneRegistration() throws {
        let t = try TempDir(); defer { t.cleanup() }
        let m = try ManifestLoader.load(try Self.manifest(t, "{ kind: test_ramp, scale: 3 }"))
        // Validated with the spec's defaults; not part of the engine's schema.
        #expect(m.steps[0].settings["size"] == .int(3) && m.steps[0].settings["scale"] == .double(3))
        #expect(StepKindCatalog.shared.spec("test_ramp")?.summary == Ramp.spec.summary)
        #expect(!EngineStepKinds.all.contains { $0.name == "test_ramp" })
        #expect(JSONSchemaGenerator.schema()["$defs"]?["step_test_ramp"] == nil)

        // Planned from its training loop: ceil(100 / (7 × 3)) = 5 optimizer steps of 3 sequences.
        let store = try ArtifactStore(root: t.url.appendingPathComponent("cache"))
        let runs = t.url.appendingPathComponent("runs")
        let entry = try #require(Planner(store: store, runsRoot: runs, shapes: nil).plan(m).entries.first { $0.id == "r" })
        #expect(entry.tokens == 100 && entry.optimizerSteps == 5 && entry.sequences == 15 && entry.decision == .run)

        // Run by the registered kinds' executors, then a cache hit.
        func run() throws -> Runner.Summary {
            try Runner(manifest: try ManifestLoader.load(try Self.manifest(t, "{ kind: test_ramp, scale: 3 }")), store: store,
                       registry: .registered, options: .init(runsRoot: runs)).run()
        }
        #expect(try run().ran == ["r"])
        #expect(try run().cached == ["r"])
        let key = CacheKeyDeriver().keys(for: StepGraph(manifest: m), seed: m.seed)["r"]!.key
        #expect(try #require(try store.get(key: key)).tensors()["w"]?.toArray() == [0, 3, 6])
        // A cosmetic setting stays out of the key.
        let noted = try ManifestLoader.load(try Self.manifest(t, "{ kind: test_ramp, scale: 3, note: hello }"))
        #expect(CacheKeyDeriver().keys(for: StepGraph(manifest: noted), seed: noted.seed)["r"]!.key == key)
    }

    @Test func whatAKindNeedsBecomesItsInputsAndChecks() throws {
        let t = try TempDir(); defer { t.cleanup() }
        let without = diagnostics(try Self.manifest(t, "{ kind: test_ramp, with_teacher: true }"))
        #expect(without.map(\.message) == ["step 'r' (test_ramp) needs a teacher, but the manifest has no 'teacher' (add teacher: { source: PATH })"])
        let m = try ManifestLoader.load(try Self.manifest(t, "{ kind: test_ramp, with_teacher: true }", teacher: true))
        #expect(StepGraph(manifest: m).node("r")?.inputs.map(\.role) == ["teacher"])
        let plain = try ManifestLoader.load(try Self.manifest(t, "{ kind: test_ramp }", teacher: true))
        #expect(StepGraph(manifest: plain).node("r")?.inputs.isEmpty == true)
    }

    @Test func aRegisteredKindsSettingsAreCheckedLikeTheEngines() throws {
        let t = try TempDir(); defer { t.cleanup() }
        let d = diagnostics(try Self.manifest(t, "{ kind: test_ramp, scael: 3, size: 0 }"))
        #expect(Set(d.map(\.message)) == ["unknown key 'scael' in step 'r' (test_ramp); did you mean 'scale'?",
                                          "'size' in step 'r' (test_ramp) must be between 1 and 100, found 0"])
    }

    /// A record without a value its kind reads (possible only through a bug in the kind's spec) is a
    /// `StepFailure` naming the setting, not a value made up on the spot.
    @Test func aMissingValueAfterValidationIsAStepFailure() throws {
        let record = StepRecord(step: "r", kind: "test_ramp", values: ["scale": .double(1)])
        #expect(throws: StepFailure.self) { try Ramp.decode(record) }
        do { _ = try Ramp.decode(record) } catch {
            #expect("\(error)" == "step 'r' (test_ramp): setting 'size' is missing after validation (a bug in the kind's spec)")
        }
    }
}
