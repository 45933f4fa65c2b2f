import Foundation

/// `rad plan --ranks N [--bandwidth GB/s]`: what a data-parallel run of the manifest on N ranks costs per
/// rank, each rank a machine like the plan's, the ranks joined by a network of the stated bandwidth.
///
/// Communication per optimizer step and rank (ring algorithms, G = the trained gradient's bytes):
/// allreduce moves 2(N−1)/N × G; under ZeRO stage 1 (`shard_optimizer`) the reduce-scatter of the
/// gradients moves (N−1)/N × G and the all-gather of the weights the same again: the same total. The time
/// is bytes / bandwidth (latency and overlap with the backward pass left out: rad sums after the passes).
/// Compute splits evenly over the ranks (each takes its slice of every batch), so a step takes the
/// one-process time / N plus the communication.
public struct DataParallelPlan: Sendable {
    /// The ranks and the network assumed.
    public struct Setup: Sendable, Equatable {
        public var ranks: Int
        /// Bytes per second between two ranks, each way.
        public var bandwidth: Double
        /// 10 Gbit/s Ethernet, the usual link between machines in a cluster without InfiniBand.
        public static let defaultBandwidth = 1.25e9

        public init(ranks: Int, bandwidth: Double = Setup.defaultBandwidth) {
            precondition(ranks >= 1 && bandwidth > 0)
            self.ranks = ranks; self.bandwidth = bandwidth
        }

        /// Bytes each rank sends (and receives) to sum `gradientBytes` over the ranks: 2(N−1)/N × G.
        public func bytesPerStep(gradientBytes: Double) -> Double {
            2 * Double(ranks - 1) / Double(ranks) * gradientBytes
        }
    }

    /// One training step on the ranks.
    public struct Step: Sendable {
        public var id: String
        /// Sequences of each optimizer step on the busiest rank (the first `batch % N` take one more).
        public var rankBatch: Int64
        public var gradientBytes: Double
        public var bytesPerStep: Double
        public var communicationSeconds: Double
        /// The whole stage: compute / N plus communication (nil where the compute time is unknown).
        public var seconds: Double?
        public var peakBytes: Double
        public var peakBytesSharded: Double
    }

    public var setup: Setup
    /// Whether the manifest shards the optimizer state (`distributed: { shard_optimizer: true }`).
    public var shardOptimizer: Bool
    public var steps: [Step]

    /// The estimate of one training step from its one-process plan entry (`seconds`: its compute time).
    public static func estimate(_ step: Manifest.Step, loop: TrainingLoop, oneProcessSeconds: Double?, student: ModelShape, teacher: ModelShape?,
                            setup: Setup) -> Step {
        let gradientBytes = MemoryEstimate.trainedParameters(loop, student: student) * MemoryEstimate.floatBytes
        let bytes = setup.bytesPerStep(gradientBytes: gradientBytes)
        let communication = Double(loop.optimizerSteps) * bytes / setup.bandwidth
        let rankBatch = Int64(BatchShare(batch: Int(loop.batch), rank: 0, ranks: setup.ranks).samples.count)
        return Step(id: step.name, rankBatch: rankBatch, gradientBytes: gradientBytes, bytesPerStep: bytes, communicationSeconds: communication,
                    seconds: oneProcessSeconds.map { $0 / Double(setup.ranks) + communication },
                    peakBytes: MemoryEstimate.training(step, student: student, teacher: teacher, ranks: setup.ranks, shardOptimizer: false),
                    peakBytesSharded: MemoryEstimate.training(step, student: student, teacher: teacher, ranks: setup.ranks, shardOptimizer: true))
    }

    /// The section under the plan's table.
    public var table: String {
        let gbits = setup.bandwidth * 8 / 1e9
        var lines = [String(format: "on %d ranks (each a machine like this one), %.3g GB/s (%.3g Gbit/s) between them: ring allreduce of "
                            + "2(N-1)/N x the gradient per optimizer step (ZeRO-1 reduce-scatter + all-gather: the same); "
                            + "time = compute / N + bytes / bandwidth; optimizer state %@",
                            setup.ranks, setup.bandwidth / 1e9, gbits, shardOptimizer ? "sharded (shard_optimizer: true)" : "whole on every rank")]
        var rows = [["step", "batch/rank", "gradient", "sent/step/rank", "comm/step", "comm", "time", "peak/rank", "peak/rank sharded"]]
        for s in steps {
            rows.append([s.id, Units.count(s.rankBatch), Units.bytes(Int64(s.gradientBytes)), Units.bytes(Int64(s.bytesPerStep)),
                         String(format: "%.1f ms", 1000 * s.bytesPerStep / setup.bandwidth),
                         Units.duration(s.communicationSeconds), s.seconds.map { Units.duration($0) } ?? "?",
                         Units.bytes(Int64(s.peakBytes)), Units.bytes(Int64(s.peakBytesSharded))])
        }
        let widths = (0..<rows[0].count).map { c in rows.map { $0[c].count }.max()! }
        lines += rows.map { r in
            r.indices.map { $0 == r.count - 1 ? r[$0] : r[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
        }
        return lines.joined(separator: "\n")
    }

    public var json: CanonicalValue {
        .object([
            "ranks": .int(Int64(setup.ranks)), "bandwidth_bytes_per_s": .double(setup.bandwidth), "shard_optimizer": .bool(shardOptimizer),
            "steps": .array(steps.map { s in
                .object(["id": .string(s.id), "batch_per_rank": .int(s.rankBatch), "gradient_bytes": .double(s.gradientBytes.rounded()),
                         "bytes_per_step_per_rank": .double(s.bytesPerStep.rounded()),
                         "communication_seconds": .double((s.communicationSeconds * 10).rounded() / 10),
                         "seconds": s.seconds.map { .double(($0 * 10).rounded() / 10) } ?? .null,
                         "peak_bytes_per_rank": .double(s.peakBytes.rounded()),
                         "peak_bytes_per_rank_sharded": .double(s.peakBytesSharded.rounded())])
            }),
        ])
    }
}
