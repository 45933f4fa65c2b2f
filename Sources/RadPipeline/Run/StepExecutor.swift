import RadModelZoo
import RadOps
import Foundation

/// What a step produced: tensors (stored as a zstd bundle), files, and metadata (final loss, metrics).
public struct StepOutput {
    public var tensors: [String: Tensor]
    public var files: [String: URL]
    public var meta: CanonicalValue
    public init(tensors: [String: Tensor] = [:], files: [String: URL] = [:], meta: CanonicalValue = .object([:])) {
        self.tensors = tensors; self.files = files; self.meta = meta
    }
}

/// Runs one kind of node. Every `NodeKind` is one (a `StepKind` runs on its decoded settings); the
/// runner finds them by kind in an `ExecutorRegistry`.
public protocol StepExecutor {
    func execute(_ context: StepContext) throws -> StepOutput
    /// Called after the node's artifact exists (computed now or found in the cache), for effects outside
    /// the cache that depend on cosmetic settings: `export_hf` copies the artifact to `to:` here, so that
    /// changing `to:` re-exports without recomputing. The default does nothing.
    func materialize(_ context: StepContext, artifact: Artifact) throws
}

extension StepExecutor {
    public func materialize(_ context: StepContext, artifact: Artifact) throws {}
}

/// A step failure with a message for the user.
public struct StepFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}

/// Executors by node kind.
public struct ExecutorRegistry {
    private var executors: [String: any StepExecutor] = [:]
    public init() {}
    /// One executor of each kind (`K.init()`).
    public init(_ kinds: [any NodeKind.Type]) { for k in kinds { register(k.init()) } }
    /// `executor` runs the nodes of its kind.
    public mutating func register(_ executor: any NodeKind) { executors[type(of: executor).name] = executor }
    /// `executor` runs the nodes of kind `kind` (a stand-in, e.g. a test's).
    public mutating func register(_ kind: String, _ executor: any StepExecutor) { executors[kind] = executor }
    public func executor(for kind: String) -> (any StepExecutor)? { executors[kind] }
    public var kinds: [String] { executors.keys.sorted() }

    /// The executors of the engine's own kinds (`StepKinds.engine`).
    public static let engine = ExecutorRegistry(StepKinds.engine)
    /// The executors of every kind in `StepKindCatalog.shared`: the engine's and those registered since.
    public static var registered: ExecutorRegistry { ExecutorRegistry(StepKindCatalog.shared.nodeKinds) }
}

/// Everything a step sees while it runs.
public final class StepContext {
    public let manifest: Manifest
    public let node: StepGraph.Node
    public let key: CacheKey
    /// Input artifacts by role (`model`, `data`, `models[0]`, ...). Source inputs (teacher, tokenizer)
    /// are not artifacts: read them from `manifest.teacher` / `sourcePath(role:)`.
    public let inputs: [String: Artifact]
    public let store: ArtifactStore
    /// This run's folder, `runs/NAME/RUN-ID`.
    public let runDirectory: URL
    /// The runs folder (`--runs`), which exports must not touch.
    public let runsRoot: URL
    /// A scratch folder for files the step wants to return in its output.
    public let workDirectory: URL
    let progress: ProgressReporter
    /// A follower rank of an `mpirun` job writes nothing: its checkpoints are rank 0's.
    public let role: RankRole

    init(manifest: Manifest, node: StepGraph.Node, key: CacheKey, inputs: [String: Artifact], store: ArtifactStore,
         runDirectory: URL, runsRoot: URL, workDirectory: URL, progress: ProgressReporter, role: RankRole = .leader) {
        self.manifest = manifest; self.node = node; self.key = key; self.inputs = inputs; self.store = store
        self.runDirectory = runDirectory; self.runsRoot = runsRoot; self.workDirectory = workDirectory; self.progress = progress
        self.role = role
    }

    public var seed: Int64 { manifest.seed }
    /// All resolved settings of the step, cosmetic ones included (`log_every`, `to`, ...).
    public var settings: [String: CanonicalValue] { node.step?.settings ?? node.settings }
    /// The path of a source input (`teacher`, `tokenizer`).
    public func sourcePath(role: String) -> String? {
        switch role {
        case "teacher": return manifest.teacher?.source
        case "tokenizer": return manifest.tokenizer ?? manifest.teacher?.source
        default: return nil
        }
    }

    /// Reports progress: tokens done so far (of `total`; another `unit` when the step counts something
    /// else), the current loss, other scalar metrics. Drawn on the terminal and, unless `record` is false,
    /// appended to `metrics.jsonl` (counting updates without a loss or metrics only at the end).
    public func report(tokens: Int64, of total: Int64, loss: Double?, metrics: [String: Double] = [:], unit: String = "tok",
                       record: Bool = true) {
        progress.update(step: node.id, tokens: tokens, total: total, loss: loss, metrics: metrics, unit: unit, record: record)
    }

    /// A line of its own for the user (`eval: teacher done`), shown after the progress line, not inside it.
    public func say(_ line: String) { progress.message(line) }

    /// Saves a resumable checkpoint (replacing the previous one). `meta` should say where to resume
    /// (tokens done, optimizer step, RNG state).
    public func saveCheckpoint(tensors: [String: Tensor], files: [String: URL] = [:], meta: CanonicalValue) throws {
        guard role == .leader else { return }
        try store.putCheckpoint(key: key.key, kind: node.kind, tensors: tensors, files: files, meta: meta)
    }

    /// The last checkpoint of this exact step (same key), if a previous run stopped part-way.
    public func resumeCheckpoint() throws -> Artifact? { try store.checkpoint(key: key.key) }
}
