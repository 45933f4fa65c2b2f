import RadModelZoo
import RadOps
import Foundation

/// A validated manifest: every value typed, every default filled, every reference checked.
public struct Manifest: Sendable {
    public struct Teacher: Sendable {
        /// Absolute path of a .gguf file or an HF folder.
        public var source: String
        public var format: String
    }
    public struct DataSource: Sendable {
        public enum Kind: String, Sendable { case files, jsonl, binidx }
        public var name: String
        public var kind: Kind
        /// Absolute glob patterns (files, jsonl) or the binidx prefix (one entry).
        public var paths: [String]
        public var field: String?
        public var eosBetweenDocuments: Bool
        public var heldoutFraction: Double
        /// `all`, `train` or `heldout`: which part of the `heldoutFraction` split this entry reads.
        public var part: String
        /// Whether tokens must be produced by a tokenizer (text and JSONL) or are already ids (binidx).
        public var needsTokenizer: Bool { kind != .binidx }
        public var settings: [String: CanonicalValue]
    }
    public struct Student: Sendable {
        public var architecture: String
        /// Every option of the architecture, defaults filled in (what cache keys hash).
        public var options: [String: CanonicalValue]
        /// The same, typed by the architecture: what init_student builds and the planner sizes.
        public var descriptor: StudentDescriptor
        /// Start from an existing student (HF folder) instead of transferring the teacher's weights.
        public var checkpoint: String?
    }
    public struct Step: Sendable {
        public var name: String
        public var kind: String
        /// Resolved settings (defaults filled), including cosmetic ones.
        public var settings: [String: CanonicalValue]
        public var location: SourceLocation
        /// Where each setting written in the manifest was written (defaults have none): checks that blame
        /// a setting after validation point there.
        public var settingLocations: [String: SourceLocation] = [:]
        /// The settings as the kind's typed value (decoded once, by the validator), with the questions the
        /// graph, the checker and the planner ask of the kind.
        public var decoded: any DecodedStep
        public var spec: StepKindSpec { decoded.kind.spec }
        /// The settings that enter the cache key.
        public var outputSettings: [String: CanonicalValue] {
            settings.filter { k, _ in k != "after" && k != "models" && (spec.setting(named: k)?.affectsOutput ?? true) }
        }
        public var after: String? { settings["after"]?.stringValue }
        public var models: [String] { settings["models"]?.arrayValue?.compactMap(\.stringValue) ?? [] }
    }

    /// `distributed:`, how the ranks of an `mpirun` job share the work.
    public struct Distributed: Sendable, Equatable {
        /// ZeRO stage 1: each rank keeps the optimizer state of its shard of the weights only.
        public var shardOptimizer = false
        /// Bytes of gradients one collective call sums (the buckets of `GradientReducer` and `ParameterShard`).
        public var bucketBytes = 4 << 20
        /// Sum a layer's gradients while backward goes on below it (`GradientReducer.overlap`). Off by
        /// default: where every core computes (ranks sharing a machine) the summing thread takes cycles
        /// from backward, and Open MPI spins while it waits for the other ranks (BENCHMARKS.md: 62-64
        /// against 79-86 tokens/s for two ranks on two cores).
        public var overlapBackward = false
        public init(shardOptimizer: Bool = false, bucketBytes: Int = 4 << 20, overlapBackward: Bool = false) {
            self.shardOptimizer = shardOptimizer; self.bucketBytes = bucketBytes; self.overlapBackward = overlapBackward
        }
    }

    public var file: String
    public var name: String
    public var seed: Int64
    public var teacher: Teacher?
    public var tokenizer: String?
    public var data: [DataSource]
    public var student: Student?
    public var distributed = Distributed()
    /// In the order they are written.
    public var steps: [Step]
    /// The document after `extends`, variables and overrides, as JSON (for run records and model cards).
    public var resolved: CanonicalValue

    public func step(named name: String) -> Step? { steps.first { $0.name == name } }
    public func dataSource(named name: String) -> DataSource? { data.first { $0.name == name } }
}
