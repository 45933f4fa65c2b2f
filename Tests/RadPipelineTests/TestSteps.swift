import RadModelZoo
import RadOps
import Foundation
import RadPipeline

/// Step kinds that exist only in the tests: a source of a small tensor and steps that transform it, so
/// that the runner, cache and planner run end to end in milliseconds.
enum TestSteps {
    static let registered: Void = {
        StepKindCatalog.shared.register(Source.self)
        StepKindCatalog.shared.register(Add.self)
    }()

    /// Counts executions per step name.
    final class Counter: @unchecked Sendable {
        private var counts: [String: Int] = [:]
        private let lock = NSLock()
        func bump(_ s: String) { lock.lock(); counts[s, default: 0] += 1; lock.unlock() }
        func count(_ s: String) -> Int { lock.lock(); defer { lock.unlock() }; return counts[s] ?? 0 }
        var ran: Set<String> { lock.lock(); defer { lock.unlock() }; return Set(counts.keys) }
        /// Executions only (without `materialize:` calls).
        var executed: Set<String> { ran.filter { !$0.hasPrefix("materialize:") } }
    }

    /// `test_source`: a tensor of `size` values equal to `value`, with a pretend training budget.
    struct Source: StepKind {
        struct Settings: Sendable { var value: Float; var size: Int; var tokens: Int64; var seqLen: Int64; var batch: Int64 }
        static let spec = StepKindSpec(
            name: "test_source", summary: "a tensor of `size` values equal to `value`",
            settings: [
                SettingSpec("value", .number(min: nil, max: nil), default: .double(1), "fill value"),
                SettingSpec("size", .int(min: 1, max: 1000), default: .int(4), "length"),
                SettingSpec("tokens", .size(min: 1), default: .int(1000), "pretend training budget"),
                SettingSpec("seq_len", .int(min: 1, max: 100), default: .int(10), "pretend sequence length"),
                SettingSpec("batch", .int(min: 1, max: 100), default: .int(2), "pretend batch"),
                SettingSpec("log_every", .int(min: 1, max: 100), default: .int(1), cosmetic: true, "cosmetic"),
            ],
            modelInput: .none, producesModel: true)
        static func decode(_ r: StepRecord) throws -> Settings {
            Settings(value: Float(try r.double("value")), size: Int(try r.int("size")), tokens: try r.int("tokens"),
                     seqLen: try r.int("seq_len"), batch: try r.int("batch"))
        }
        static func training(_ s: Settings) -> TrainingLoop? { TrainingLoop(tokens: s.tokens, seqLen: s.seqLen, batch: s.batch) }

        var counter = Counter()
        func run(_ s: Settings, _ c: StepContext) throws -> StepOutput {
            counter.bump(c.node.id)
            c.report(tokens: s.tokens / 2, of: s.tokens, loss: 1.0)
            c.report(tokens: s.tokens, of: s.tokens, loss: 0.5)
            return StepOutput(tensors: ["w": Tensor(shape: [s.size]) { _ in s.value }], meta: .object(["final_loss": .double(0.5)]))
        }
    }

    /// `test_add`: adds in 4 chunks, checkpointing after each; can fail once mid-way to test resume.
    struct Add: StepKind {
        struct Settings: Sendable { var addend: Float; var failAt: Int }
        static let spec = StepKindSpec(
            name: "test_add", summary: "adds `addend` to its input model",
            settings: [
                SettingSpec("after", .stepRef, required: true, "input"),
                SettingSpec("addend", .number(min: nil, max: nil), default: .double(1), "what to add"),
                SettingSpec("fail_at", .int(min: -1, max: 100), default: .int(-1), cosmetic: true,
                            "fail (once per process) after this many chunks, leaving a checkpoint"),
                SettingSpec("log_every", .int(min: 1, max: 100), default: .int(1), cosmetic: true, "cosmetic"),
            ],
            modelInput: .required, producesModel: true)
        static func decode(_ r: StepRecord) throws -> Settings {
            Settings(addend: Float(try r.double("addend")), failAt: Int(try r.int("fail_at")))
        }

        var counter = Counter()
        let failed = Counter()
        func run(_ s: Settings, _ c: StepContext) throws -> StepOutput {
            counter.bump(c.node.id)
            let w = try c.inputs["model"]!.tensors()["w"]!.copy()
            let addend = s.addend / 4
            var start = 0
            if let cp = try c.resumeCheckpoint() {
                start = Int(cp.meta["chunks"]!.intValue!)
                let saved = try cp.tensors()["w"]!
                for i in 0..<w.count { w.data[i] = saved.data[i] }
            }
            for chunk in start..<4 {
                for i in 0..<w.count { w.data[i] += addend }
                try c.saveCheckpoint(tensors: ["w": w], meta: .object(["chunks": .int(Int64(chunk + 1))]))
                c.report(tokens: Int64(chunk + 1), of: 4, loss: nil)
                if chunk + 1 == s.failAt, failed.count(c.node.id) == 0 {
                    failed.bump(c.node.id)
                    throw StepFailure("interrupted on purpose")
                }
            }
            return StepOutput(tensors: ["w": w], meta: .object(["resumed_from": .int(Int64(start))]))
        }

        /// Records that the artifact was materialised (the hook export uses for its cosmetic `to:`).
        func materialize(_ s: Settings, _ c: StepContext, artifact: Artifact) throws {
            counter.bump("materialize:" + c.node.id)
        }
    }

    static func registry(_ counter: Counter) -> ExecutorRegistry {
        _ = registered
        var r = ExecutorRegistry()
        r.register(Source(counter: counter))
        r.register(Add(counter: counter))
        return r
    }
}
