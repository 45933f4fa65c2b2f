import Foundation

/// How the ranks of one `mpirun` job walk a manifest's graph together. Rank 0 leads: it runs `Runner`
/// exactly as a plain run (the cache, checkpoints, exports, metrics, run record, report and progress
/// are its alone) and tells the others, step by step, what it did. The followers never write: they
/// load each finished step's artifact from the cache rank 0 wrote (on one machine the same folder; on
/// several, a shared file system), and join only the steps shared by the ranks (`NodeKind.sharedByRanks`):
/// tokenisation, where they encode their share of the documents for rank 0 to join; training, where
/// they compute their slice of every batch and take part in the gradient sum; and evaluation, where they
/// score their share of the batches.
public final class RunCoordinator {
    /// What rank 0 tells the followers.
    enum Message: Equatable {
        /// Step `id`'s artifact is in the cache under `key` (found there or made now).
        case ready(id: String, key: String)
        /// Step `id` runs now, on every rank.
        case join(id: String)
        /// The run is over; every rank exits with `code`.
        case end(code: Int32)

        var bytes: [UInt8] {
            switch self {
            case .ready(let id, let key): return Array("ready\t\(id)\t\(key)".utf8)
            case .join(let id): return Array("join\t\(id)".utf8)
            case .end(let code): return Array("end\t\(code)".utf8)
            }
        }

        init?(_ bytes: [UInt8]) {
            let f = String(decoding: bytes, as: UTF8.self).components(separatedBy: "\t")
            switch (f.first, f.count) {
            case ("ready", 3): self = .ready(id: f[1], key: f[2])
            case ("join", 2): self = .join(id: f[1])
            case ("end", 2): guard let c = Int32(f[1]) else { return nil }; self = .end(code: c)
            default: return nil
            }
        }
    }

    public let world: MPIWorld
    /// Whether the followers wait for a message now (not inside a shared step's collectives): only
    /// then can rank 0 end the run by telling them; otherwise a failing rank aborts the job.
    public private(set) var followersListening = true
    /// Set once `end` was sent.
    public private(set) var ended = false

    public init(world: MPIWorld) { self.world = world }

    func send(_ m: Message) throws {
        precondition(world.isLeader)
        _ = try world.broadcast(m.bytes)
    }

    func receive() throws -> Message {
        let bytes = try world.broadcast([])
        guard let m = Message(bytes) else { throw MPIError(description: "rank 0 sent an unreadable message") }
        return m
    }

    // MARK: rank 0

    /// Step `id`'s artifact is in the cache.
    func ready(_ id: String, key: String) throws { try send(.ready(id: id, key: key)); followersListening = true }

    /// Step `id` (a step shared by the ranks) starts on every rank.
    func join(_ id: String) throws { try send(.join(id: id)); followersListening = false }

    /// A shared step ended, failed or stopped on every rank alike: the followers listen again.
    func sharedStepEnded() { followersListening = true }

    /// Ends the run on every rank with `code` (rank 0's exit code).
    public func end(code: Int32) throws {
        guard !ended else { return }
        ended = true
        try send(.end(code: code))
    }

    // MARK: followers

    /// A follower's whole run: loads the artifacts rank 0 announces and trains with it; returns the exit
    /// code rank 0 ended with.
    public func follow(manifest: Manifest, store: ArtifactStore, registry: ExecutorRegistry) throws -> Int32 {
        precondition(!world.isLeader)
        let graph = StepGraph(manifest: manifest)
        let keys = CacheKeyDeriver(fingerprinter: Fingerprinter()).keys(for: graph, seed: manifest.seed)
        // Progress and metrics are rank 0's: the followers' go nowhere.
        let progress = ProgressReporter(isTerminal: false, metricsURL: nil, sink: { _ in })
        var artifacts: [String: Artifact] = [:]
        while true {
            switch try receive() {
            case .end(let code): return code
            case .ready(let id, let key):
                guard let a = try store.get(key: key) else {
                    throw StepFailure("rank \(world.rank): step '\(id)' is not in the cache at \(store.root.path) that rank 0 wrote it to; "
                                      + "on several machines the cache must be on a file system they share")
                }
                artifacts[id] = a
            case .join(let id):
                guard let node = graph.node(id), let key = keys[id], let executor = registry.executor(for: node.kind) else {
                    throw StepFailure("rank \(world.rank): rank 0 runs step '\(id)', which this rank's graph lacks")
                }
                var inputs: [String: Artifact] = [:]
                for (role, input) in node.inputs where artifacts[input] != nil { inputs[role] = artifacts[input] }
                let work = store.scratchDirectory("work-\(key.key.prefix(16))-rank\(world.rank)")
                try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
                defer { try? FileManager.default.removeItem(at: work) }
                let context = StepContext(manifest: manifest, node: node, key: key, inputs: inputs, store: store,
                                          runDirectory: work, runsRoot: work, workDirectory: work, progress: progress, role: .follower)
                do { _ = try executor.execute(context) }
                // Every rank stopped at the same optimizer step (the stop request is summed with the
                // gradients); rank 0 kept the checkpoint and ends the run.
                catch is Interrupted {}
                catch let failure as TrainingError where failure.onEveryRank {}
                // Every rank left the step at the same agreement; rank 0 reports the failure and ends the run.
                catch where SharedStepFailure.isAgreed(error) {}
            }
        }
    }
}

/// A process's part in a run.
public enum RankRole: Sendable {
    /// A plain run, or rank 0 of a job: writes the cache, checkpoints and records.
    case leader
    /// Another rank of a job: computes its share of the training steps and writes nothing.
    case follower
}
