import RadModelZoo
import RadOps
import Foundation
import Testing
import RadPipeline

/// The runner, cache and planner end to end on test step kinds: a -> b -> c, a -> d.
@Suite struct RunnerTests {
    static let manifest = """
        name: chain
        seed: 3
        steps:
          a: { kind: test_source, value: 2, size: 3 }
          b: { kind: test_add, after: a, addend: 1 }
          c: { kind: test_add, after: b, addend: 10 }
          d: { kind: test_add, after: a, addend: 5 }
        """

    struct Fixture {
        let dir: TempDir
        let file: String
        let store: ArtifactStore
        var runs: URL { dir.url.appendingPathComponent("runs") }

        init(_ text: String = RunnerTests.manifest) throws {
            _ = TestSteps.registered
            dir = try TempDir()
            file = try dir.write("chain.yaml", text)
            store = try ArtifactStore(root: dir.url.appendingPathComponent("cache"))
        }

        func edit(_ from: String, _ to: String) throws {
            let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: file)), as: UTF8.self)
            try Data(text.replacingOccurrences(of: from, with: to).utf8).write(to: URL(fileURLWithPath: file))
        }

        @discardableResult
        func run(_ counter: TestSteps.Counter, until: String? = nil, force: Set<String> = [], terminal: Bool = false,
                 log: ((String) -> Void)? = nil) throws -> Runner.Summary {
            let m = try ManifestLoader.load(file)
            return try Runner(manifest: m, store: store, registry: TestSteps.registry(counter),
                              options: .init(until: until, force: force, runsRoot: runs, isTerminal: terminal, output: log ?? { _ in })).run()
        }

        func plan() throws -> Plan { Planner(store: store, runsRoot: runs, shapes: nil).plan(try ManifestLoader.load(file)) }

        func value(_ step: String) throws -> [Float] {
            let m = try ManifestLoader.load(file)
            let key = CacheKeyDeriver().keys(for: StepGraph(manifest: m), seed: m.seed)[step]!.key
            return try #require(try store.get(key: key)).tensors()["w"]!.toArray()
        }
    }

    @Test func secondRunIsAllCacheHits() throws {
        let f = try Fixture(); defer { f.dir.cleanup() }
        let first = TestSteps.Counter()
        let s1 = try f.run(first)
        #expect(Set(s1.ran) == ["a", "b", "c", "d"])
        #expect(first.count("materialize:b") == 1)
        #expect(try f.value("c") == [13, 13, 13] && f.value("d") == [7, 7, 7])
        let second = TestSteps.Counter()
        let s2 = try f.run(second)
        #expect(second.ran == ["materialize:b", "materialize:c", "materialize:d"] && Set(s2.cached) == ["a", "b", "c", "d"])
        #expect(try f.plan().entries.allSatisfy { $0.decision == .cached })
    }

    @Test func anEditRerunsTheStepAndItsDescendantsOnly() throws {
        let f = try Fixture(); defer { f.dir.cleanup() }
        try f.run(TestSteps.Counter())
        try f.edit("addend: 1 }", "addend: 4 }")
        let plan = try f.plan()
        let b = try #require(plan.entries.first { $0.id == "b" })
        #expect(b.decision == .run && b.why == ["settings.addend 1 -> 4"])
        let c = try #require(plan.entries.first { $0.id == "c" })
        #expect(c.decision == .run && c.why == ["input model changed (b will run)"], "\(c.why)")
        #expect(plan.entries.first { $0.id == "a" }?.decision == .cached && plan.entries.first { $0.id == "d" }?.decision == .cached)
        let counter = TestSteps.Counter()
        try f.run(counter)
        #expect(counter.executed == ["b", "c"])
        #expect(try f.value("c") == [16, 16, 16])
    }

    @Test func aCosmeticEditRerunsNothing() throws {
        let f = try Fixture(); defer { f.dir.cleanup() }
        try f.run(TestSteps.Counter())
        try f.edit("value: 2, size: 3 }", "value: 2, size: 3, log_every: 50 }")
        let counter = TestSteps.Counter()
        try f.run(counter)
        #expect(counter.ran == ["materialize:b", "materialize:c", "materialize:d"]) // cached, but materialised again
    }

    @Test func aCorruptEntryIsRecomputed() throws {
        let f = try Fixture(); defer { f.dir.cleanup() }
        try f.run(TestSteps.Counter())
        let m = try ManifestLoader.load(f.file)
        let key = CacheKeyDeriver().keys(for: StepGraph(manifest: m), seed: m.seed)["b"]!.key
        let bundle = try #require(try f.store.get(key: key)).directory.appendingPathComponent(Artifact.tensorFile)
        var bytes = try Data(contentsOf: bundle)
        bytes[bytes.count - 2] ^= 0xFF
        try bytes.write(to: bundle)
        var log = ""
        let counter = TestSteps.Counter()
        try f.run(counter, log: { log += $0 })
        #expect(counter.executed == ["b"]) // c's key is unchanged, so c stays cached
        #expect(log.contains("warning: artifact") && log.contains("corrupt"))
        #expect(try f.value("c") == [13, 13, 13])
    }

    @Test func untilAndForce() throws {
        let f = try Fixture(); defer { f.dir.cleanup() }
        let c1 = TestSteps.Counter()
        let s = try f.run(c1, until: "b")
        #expect(c1.executed == ["a", "b"] && s.outcome("c") == .skipped)
        let c2 = TestSteps.Counter()
        try f.run(c2, force: ["a"])
        #expect(c2.executed == ["a", "c", "d"])
        #expect(throws: RunInputError.self) { try f.run(TestSteps.Counter(), until: "nope") }
    }

    @Test func anInterruptedStepResumesFromItsCheckpoint() throws {
        let f = try Fixture(RunnerTests.manifest.replacingOccurrences(of: "addend: 10 }", with: "addend: 10, fail_at: 2 }"))
        defer { f.dir.cleanup() }
        let counter = TestSteps.Counter()
        let registry = TestSteps.registry(counter)
        let m = try ManifestLoader.load(f.file)
        let runner = Runner(manifest: m, store: f.store, registry: registry, options: .init(runsRoot: f.runs))
        #expect(throws: StepFailure.self) { try runner.run() }
        #expect(try f.plan().entries.first { $0.id == "c" }?.decision == .resume)
        let s = try runner.run() // same registry: the executor fails only once
        #expect(s.ran == ["c", "d"]) // d was skipped when c failed
        let key = CacheKeyDeriver().keys(for: StepGraph(manifest: m), seed: m.seed)["c"]!.key
        let a = try #require(try f.store.get(key: key))
        #expect(a.meta["resumed_from"] == .int(2))
        #expect(try f.value("c") == [13, 13, 13]) // equals an uninterrupted run
        #expect(!f.store.hasCheckpoint(key: key))
    }

    @Test func progressOnATerminalAndInPlainLogs() throws {
        let f = try Fixture(); defer { f.dir.cleanup() }
        var tty = ""
        try f.run(TestSteps.Counter(), until: "a", terminal: true, log: { tty += $0 })
        // Redrawn in place: erase the line, then step, bar, tokens, rate, loss, ETA; a newline when done.
        #expect(tty.hasPrefix("\r\u{1B}[2Ka [##########..........] 500/1000 tok  "))
        #expect(tty.contains("loss 1.0000  ETA ") && tty.contains("\r\u{1B}[2Ka [####################] 1000/1000 tok") && tty.hasSuffix("\n"))
        var plain = ""
        try f.run(TestSteps.Counter(), force: ["b"], log: { plain += $0 })
        #expect(!plain.contains("\u{1B}"))
        #expect(plain.hasPrefix("running b (test_add)\nb [#####...............] 1/4 tok"))
        #expect(plain.contains("b [####################] 4/4 tok"))
    }

    /// A step's message in the middle of its progress ("eval: teacher done") starts a line of its own on
    /// a terminal; before, it ran into the open progress line ("ETA 10seval: teacher done").
    @Test func stepMessagesDoNotRunIntoTheProgressLine() throws {
        struct Talker: StepExecutor {
            func execute(_ c: StepContext) throws -> StepOutput {
                c.report(tokens: 500, of: 1000, loss: 1.0)
                c.say("\(c.node.id): halfway")
                c.report(tokens: 1000, of: 1000, loss: 0.5)
                return StepOutput(tensors: ["w": Tensor(shape: [3]) { _ in 2 }], meta: .object([:]))
            }
        }
        let f = try Fixture(); defer { f.dir.cleanup() }
        var registry = TestSteps.registry(TestSteps.Counter())
        registry.register("test_source", Talker())
        var tty = ""
        _ = try Runner(manifest: try ManifestLoader.load(f.file), store: f.store, registry: registry,
                       options: .init(until: "a", runsRoot: f.runs, isTerminal: true, output: { tty += $0 })).run()
        let before = try #require(tty.range(of: "a: halfway\n")).lowerBound
        #expect(tty[..<before].hasSuffix("\n"), "\(tty.debugDescription)")
        #expect(tty.contains("\r\u{1B}[2Ka [####################] 1000/1000 tok"))
    }

    /// A step that fails part-way leaves no progress line open: before, the CLI's `error:` line ran into it
    /// (`ETA 3serror: ...`).
    @Test func aStepThatFailsPartWayEndsItsProgressLine() throws {
        struct Failer: StepExecutor {
            func execute(_ c: StepContext) throws -> StepOutput {
                c.report(tokens: 500, of: 1000, loss: 1.0)
                throw StepFailure("broken")
            }
        }
        let f = try Fixture(); defer { f.dir.cleanup() }
        var registry = TestSteps.registry(TestSteps.Counter())
        registry.register("test_source", Failer())
        var tty = ""
        #expect(throws: (any Error).self) {
            _ = try Runner(manifest: try ManifestLoader.load(f.file), store: f.store, registry: registry,
                           options: .init(until: "a", runsRoot: f.runs, isTerminal: true, output: { tty += $0 })).run()
        }
        #expect(tty.contains("500/1000 tok") && tty.hasSuffix("\n"), "\(tty.debugDescription)")
    }

    @Test func runRecordAndMetrics() throws {
        let f = try Fixture(); defer { f.dir.cleanup() }
        try f.run(TestSteps.Counter())
        let dir = try #require(RunRecord.runFolder(f.runs.appendingPathComponent("chain")))
        let record = try #require(RunRecord.load(from: dir))
        #expect(record.value["seed"] == .int(3) && record.value["status"] == .string("ok"))
        #expect(record.value["resolved"]?["steps"]?["b"]?["addend"] == .int(1))
        #expect(record.node("c")?["status"] == .string("ran"))
        #expect(record.node("c")?["record"]?["inputs"]?["model"] == record.node("b")?["key"])
        let metrics = String(decoding: try Data(contentsOf: dir.appendingPathComponent("metrics.jsonl")), as: UTF8.self)
        let lines = metrics.split(separator: "\n")
        // a's two updates carry a loss (a curve: every one is kept); b/c/d count 4 chunks without one, and
        // such ticks are kept only every 10 s and at the end (before: all 4 of each, so that a run's
        // metrics were mostly tokenisation ticks).
        #expect(lines.count == 2 + 3 * 1, "\(metrics)")
        #expect(lines.filter { $0.contains("\"step\":\"b\"") }.first?.contains("\"tokens\":4") == true)
        #expect(lines.first?.contains("\"loss\":1") == true && lines.first?.contains("\"step\":\"a\"") == true)
    }

    @Test func unimplementedKindsFailCleanly() throws {
        let f = try Fixture(); defer { f.dir.cleanup() }
        let m = try ManifestLoader.load(f.file)
        let runner = Runner(manifest: m, store: f.store, registry: ExecutorRegistry(), options: .init(runsRoot: f.runs))
        do { _ = try runner.run(); Issue.record("must fail") } catch {
            #expect("\(error)" == "step 'a' (kind test_source) cannot run: this build has no implementation of 'test_source' yet")
        }
    }

    @Test func planCountsStepsAndCost() throws {
        struct Shapes: ModelShapeProvider {
            func teacherShape(source: String, format: String) throws -> ModelShape? {
                ModelShape(parameters: 1_000_000, layers: 2, hidden: 64, vocabulary: 100)
            }
        }
        let t = try TempDir(); defer { t.cleanup() }
        let q = try t.write("q.yaml", "name: q\nteacher: { source: t.gguf }\ndata: { train: { binidx: tok } }\nstudent: { architecture: rad-rwkv6 }\nsteps:\n  align: { kind: align_hidden_states, tokens: 1M, seq_len: 512, batch: 8 }\n  ft: { kind: finetune, after: align, tokens: 100k, seq_len: 100, batch: 3 }\n")
        let store = try ArtifactStore(root: t.url.appendingPathComponent("c"))
        let plan = Planner(store: store, runsRoot: t.url, shapes: Shapes()).plan(try ManifestLoader.load(q))
        let align = try #require(plan.entries.first { $0.id == "align" })
        #expect(align.optimizerSteps == 245 && align.sequences == 1960 && align.tokens == 1_000_000)
        #expect(align.flops == (6 * 1e6 + 2 * 1e6) * 1e6) // student training + teacher forward
        #expect(align.seconds == align.flops! / Planner.assumedFlopsPerSecond)
        let ft = try #require(plan.entries.first { $0.id == "ft" })
        #expect(ft.optimizerSteps == 334 && ft.flops == 6 * 1e6 * 1e5) // no teacher term without KL
        #expect(plan.json["steps"]?.arrayValue?.count == plan.entries.count)
        #expect(plan.table.contains("align"))
    }
}
