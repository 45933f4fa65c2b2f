import RadModelZoo
import RadOps
import Foundation

/// Executes a manifest's graph: every node that is not cached, in dependency order.
public final class Runner {
    public struct Options {
        public var until: String?
        public var force: Set<String> = []
        public var runsRoot: URL
        /// The run's folder name under `runs/NAME` (nil: `RunRecord.newRunID`).
        public var runID: String?
        public var isTerminal: Bool
        /// Where progress and notices go (stderr in the CLI).
        public var output: (String) -> Void
        /// Rank 0 of an `mpirun` job: tells the other ranks each step it finished and each it trains with them.
        public var coordinator: RunCoordinator?
        public init(until: String? = nil, force: Set<String> = [], runsRoot: URL, runID: String? = nil, isTerminal: Bool = false,
                    output: @escaping (String) -> Void = { _ in }, coordinator: RunCoordinator? = nil) {
            self.until = until; self.force = force; self.runsRoot = runsRoot; self.runID = runID
            self.isTerminal = isTerminal; self.output = output
            self.coordinator = coordinator
        }
    }

    public enum NodeOutcome: String, Sendable { case cached, ran, failed, interrupted, skipped, source }

    public struct Summary {
        public var outcomes: [(id: String, outcome: NodeOutcome, seconds: Double)]
        /// `runs/NAME/RUN-ID`, this run's own folder.
        public var runDirectory: URL
        public var runID: String
        public func outcome(_ id: String) -> NodeOutcome? { outcomes.first { $0.id == id }?.outcome }
        public var ran: [String] { outcomes.filter { $0.outcome == .ran }.map(\.id) }
        public var cached: [String] { outcomes.filter { $0.outcome == .cached }.map(\.id) }
    }

    public let manifest: Manifest
    public let store: ArtifactStore
    public let registry: ExecutorRegistry
    public let options: Options
    public let fingerprinter = Fingerprinter()
    /// This run's folder, once `run()` has made it (a caller that catches `Interrupted` names it).
    public private(set) var runDirectory: URL?

    public init(manifest: Manifest, store: ArtifactStore, registry: ExecutorRegistry, options: Options) {
        self.manifest = manifest; self.store = store; self.registry = registry; self.options = options
    }

    /// How often a run starts over after discarding a cache entry found damaged while it was read.
    static let corruptionRetries = 3

    public func run() throws -> Summary { try run(attempt: 0, folder: nil) }

    /// `folder`: the run's id and start of the first attempt. A run that starts over after discarding a
    /// damaged cache entry keeps its folder (before, the first attempt's folder was left without a record).
    private func run(attempt: Int, folder: (id: String, started: Date)?) throws -> Summary {
        let graph = StepGraph(manifest: manifest)
        for id in [options.until].compactMap({ $0 }) + options.force.sorted() where graph.node(id) == nil {
            throw RunInputError("no step '\(id)' in \(manifest.file)\(Suggestions.didYouMean(id, graph.nodes.map(\.id)))")
        }
        let keys = CacheKeyDeriver(fingerprinter: fingerprinter).keys(for: graph, seed: manifest.seed)
        let targets = options.until.map { graph.ancestors(of: $0) } ?? Set(graph.nodes.map(\.id))
        let started = folder?.started ?? Date()
        let nameFolder = RunRecord.nameFolder(for: manifest, runsRoot: options.runsRoot)
        let previous = RunRecord.latestDirectory(for: manifest, runsRoot: options.runsRoot).flatMap(RunRecord.load(from:))
        let runID = folder?.id ?? options.runID ?? RunRecord.newRunID(at: started)
        let runDir = nameFolder.appendingPathComponent(runID)
        // A run never takes over another's folder: one that holds a record is refused.
        if folder == nil, let id = options.runID, RunRecord.load(from: runDir) != nil {
            throw RunInputError("run '\(id)' of \(manifest.name) already exists (\(ManifestSource.display(runDir.path))); give another --run-id or leave it out")
        }
        try FileManager.default.createDirectory(at: runDir, withIntermediateDirectories: true)
        runDirectory = runDir
        let progress = ProgressReporter(isTerminal: options.isTerminal, metricsURL: runDir.appendingPathComponent("metrics.jsonl"),
                                        runID: runID, sink: options.output)
        var outcomes: [(String, NodeOutcome, Double)] = []
        var nodeRecords: [String: CanonicalValue] = previous?.value["nodes"]?.objectValue ?? [:]
        var artifacts: [String: Artifact] = [:]
        var failure: Error?
        var interrupted: Interrupted?
        var restart: CorruptArtifact?

        // Runs hold the cache's use lock shared, so `rad cache gc` cannot delete entries under them.
        let useLock = try FileLock(path: store.useLockPath, mode: .shared)
        defer { withExtendedLifetime(useLock) {} }
        let debris = store.removeDebris()
        if !debris.isEmpty { options.output("removed \(debris.count) leftover\(debris.count == 1 ? "" : "s") of stopped runs from \(store.root.path)/tmp\n") }

        for node in graph.nodes {
            let key = keys[node.id]!
            var entry: [String: CanonicalValue] = ["kind": .string(node.kind), "key": .string(key.key), "record": key.record]
            func finish(_ o: NodeOutcome, _ seconds: Double) {
                // A step that stopped part-way leaves no progress line open for what is printed next.
                progress.endLine()
                outcomes.append((node.id, o, seconds))
                entry["status"] = .string(o.rawValue)
                if o != .skipped { nodeRecords[node.id] = .object(entry) }
            }
            if node.isSource {
                let path = node.settings["source"]?.stringValue ?? ""
                if targets.contains(node.id), failure == nil, !FileManager.default.fileExists(atPath: path) {
                    failure = StepFailure("\(node.id) source '\(path)' does not exist (fetch it, or fix '\(node.id == "teacher" ? "teacher.source" : "tokenizer.source")')")
                    finish(.failed, 0); continue
                }
                finish(.source, 0); continue
            }
            guard targets.contains(node.id), failure == nil, interrupted == nil else { finish(.skipped, 0); continue }
            if let signal = Interruption.requested {
                interrupted = Interrupted(signal: signal); finish(.skipped, 0); continue
            }
            /// Uses the cached entry: materialises it (exports copy it out) and keeps the speed it was made at.
            func useCached(_ a: Artifact) throws {
                flushWarnings()
                artifacts[node.id] = a
                if let executor = registry.executor(for: node.kind) {
                    do { try executor.materialize(context(node, key, artifacts, runDir, progress), artifact: a) }
                    catch { failure = StepFailure("step '\(node.id)' (\(node.kind)) failed: \(ErrorMessage.oneLine(error))"); finish(.failed, 0); return }
                }
                // Keep the measured speed of the run that made it (the planner's time estimates use it).
                if let old = nodeRecords[node.id], old["key"] == .string(key.key) {
                    entry["seconds"] = old["seconds"]; entry["tokens_per_s"] = old["tokens_per_s"]
                }
                if let selection = a.meta[LayerSelection.metaKey] { entry[LayerSelection.metaKey] = selection }
                finish(.cached, 0)
                try options.coordinator?.ready(node.id, key: key.key)
            }
            if !options.force.contains(node.id), let a = try store.get(key: key.key) { try useCached(a); continue }
            flushWarnings()
            guard let executor = registry.executor(for: node.kind) else {
                failure = StepFailure("step '\(node.id)' (kind \(node.kind)) cannot run: this build has no implementation of '\(node.kind)' yet")
                finish(.failed, 0); continue
            }
            // One process computes an entry at a time; one that waited finds it made.
            let entryLock = try store.lockEntry(key: key.key) {
                progress.message("\(node.id): waiting for another rad process that is computing this step")
            }
            defer { withExtendedLifetime(entryLock) {} }
            if !options.force.contains(node.id), let a = try store.get(key: key.key) { try useCached(a); continue }
            let ctx = context(node, key, artifacts, runDir, progress)
            try? FileManager.default.removeItem(at: ctx.workDirectory)
            try FileManager.default.createDirectory(at: ctx.workDirectory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: ctx.workDirectory) }
            progress.begin(step: node.id)
            if !options.isTerminal { options.output("running \(node.id) (\(node.kind))\n") }
            let t0 = Date()
            // Tokenisation, training and evaluation run on every rank of a job (each computes its share).
            let collective = options.coordinator != nil && ((executor as? any NodeKind).map { type(of: $0).sharedByRanks } ?? false)
            if collective { try options.coordinator?.join(node.id) }
            do {
                let out = try executor.execute(ctx)
                if collective { options.coordinator?.sharedStepEnded() }
                var meta = out.meta
                if case .object(var m) = meta { m["record"] = key.record; m["node"] = .string(node.id); meta = .object(m) }
                artifacts[node.id] = try store.put(key: key.key, kind: node.kind, tensors: out.tensors, files: out.files, meta: meta)
                try executor.materialize(ctx, artifact: artifacts[node.id]!)
                try? store.removeCheckpoint(key: key.key)
                let dt = Date().timeIntervalSince(t0)
                entry["seconds"] = .double((dt * 1000).rounded() / 1000)
                // A training step measures its own rate (a resumed step trained only part of its tokens now).
                if let rate = out.meta["tokens_per_second"]?.doubleValue, rate > 0 { entry["tokens_per_s"] = .double(rate.rounded()) }
                else if let tokens = node.step?.decoded.training?.tokens, dt > 0 { entry["tokens_per_s"] = .double((Double(tokens) / dt).rounded()) }
                if let bytes = out.meta["optimizer_state_bytes_per_rank"] { entry["optimizer_state_bytes_per_rank"] = bytes }
                // The hybrid layers an align step chose (`softmax_layers: { auto: K }`), for the report.
                if let selection = out.meta[LayerSelection.metaKey] { entry[LayerSelection.metaKey] = selection }
                finish(.ran, dt)
                try options.coordinator?.ready(node.id, key: key.key)
            } catch let corrupt as CorruptArtifact where attempt < Self.corruptionRetries && !collective {
                // An input (or the resume checkpoint) was damaged under matching checksums: drop it and
                // start over; everything before it is cached, so only the damaged entry is recomputed.
                // (After the loop: this step's entry lock must be released first.)
                restart = corrupt
                break
            } catch let stop as Interrupted {
                // Every rank stopped after the same optimizer step (the request is summed with the gradients).
                if collective { options.coordinator?.sharedStepEnded() }
                interrupted = Interrupted(signal: stop.signal, kept: stop.kept.map { "step '\(node.id)' kept \($0)" })
                entry["seconds"] = .double((Date().timeIntervalSince(t0) * 1000).rounded() / 1000)
                finish(.interrupted, Date().timeIntervalSince(t0))
            } catch {
                // A non-finite loss or gradient norm is the reduced one, and a `SharedStepFailure` one the
                // ranks agreed on: every rank stopped there. After any other failure of a shared step the
                // followers may still be in its collectives: the job is aborted once the record is written
                // (`RunCoordinator.followersListening`).
                if collective, (error as? TrainingError)?.onEveryRank == true || SharedStepFailure.isAgreed(error) {
                    options.coordinator?.sharedStepEnded()
                }
                let message = "step '\(node.id)' (\(node.kind)) failed: \(ErrorMessage.oneLine(error))"
                // A step that found bad input (a text that is not UTF-8, a damaged model file) stays invalid input (exit 2).
                failure = error is InvalidInputError ? StepInputFailure(description: message) as Error : StepFailure(message)
                finish(.failed, Date().timeIntervalSince(t0))
            }
        }
        if let restart {
            try store.discard(restart)
            flushWarnings()
            return try run(attempt: attempt + 1, folder: (runID, started))
        }
        // metrics.jsonl could not be written: the progress reporter printed the error line; the run fails (exit 1).
        if failure == nil, interrupted == nil, let lost = progress.metricsFailure { failure = ReportedFailure("\(lost)") }
        let record = CanonicalValue.object([
            "manifest": .string(manifest.name), "run": .string(runID), "file": .string(manifest.file), "resolved": manifest.resolved,
            "seed": .int(manifest.seed), "engine": .string(RadVersion.engine), "numerics": .int(Int64(RadVersion.numericsVersion)),
            "started": .string(ISO8601DateFormatter().string(from: started)),
            "finished": .string(ISO8601DateFormatter().string(from: Date())),
            "status": .string(failure != nil ? "failed" : interrupted != nil ? "interrupted" : "ok"),
            "nodes": .object(nodeRecords),
            // `nodes` is an object (its keys print sorted); this is the order the steps ran in.
            "order": .array(graph.nodes.map { .string($0.id) }),
        ])
        // A record that cannot be written must not hide the step's own failure (or the interruption).
        do {
            try RunRecord(value: record).save(to: runDir)
            try RunRecord.pointLatest(in: nameFolder, to: runID)
        } catch where failure != nil || interrupted != nil { options.output("error: \(ErrorMessage.oneLine(error))\n") }
        if let failure { throw failure }
        if let interrupted { throw interrupted }
        return Summary(outcomes: outcomes.map { ($0.0, $0.1, $0.2) }, runDirectory: runDir, runID: runID)
    }

    func context(_ node: StepGraph.Node, _ key: CacheKey, _ artifacts: [String: Artifact], _ runDir: URL,
                 _ progress: ProgressReporter) -> StepContext {
        var inputs: [String: Artifact] = [:]
        for (role, id) in node.inputs where artifacts[id] != nil { inputs[role] = artifacts[id] }
        let work = store.scratchDirectory("work-\(key.key.prefix(16))")
        return StepContext(manifest: manifest, node: node, key: key, inputs: inputs, store: store,
                           runDirectory: runDir, runsRoot: options.runsRoot, workDirectory: work, progress: progress)
    }

    func flushWarnings() {
        for w in store.warnings where !reported.contains(w) { reported.insert(w); options.output("warning: \(w)\n") }
    }
    private var reported = Set<String>()
}

/// A step that failed on what the user gave it (exit code 2, as `InvalidInputError`).
public struct StepInputFailure: InvalidInputError {
    public var description: String
}

/// A problem with the command line of a run (exit code 2, like an invalid manifest).
public struct RunInputError: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}
