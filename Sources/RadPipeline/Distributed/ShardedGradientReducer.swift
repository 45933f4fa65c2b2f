import RadOps
import Foundation

/// ZeRO stage 1 over an MPI world (`distributed: { shard_optimizer: true }`): every rank keeps the AdamW
/// moments of its shard of the flattened parameters only (`ParameterShard`, `ShardedAdamW`). Per bucket
/// of the flat vector, the gradients are summed with a reduce-scatter (each rank receives the sums of its
/// chunk), the global gradient norm is the allreduced sum of the shards' squared norms, each rank updates
/// its chunk, and the updated weights are all-gathered. A checkpoint gathers the moments to rank 0, which
/// writes the same whole state as an unsharded run: checkpoints resume with or without sharding.
///
/// Reduce-scatter and all-gather together move as many bytes as one allreduce (2(N−1)/N × the gradient);
/// the summed gradient of an element is computed once, by its owner, so the weights equal the unsharded
/// run's up to the reduction order of the sums (bit for bit with 2 ranks: a + b = b + a).
public final class ShardedGradientReducer: GradientSync, WeightUpdate {
    let world: MPIWorld
    let adam: ShardedAdamW
    var shard: ParameterShard { adam.shard }
    private var buffer: [Float] = [], received: [Float] = []
    public private(set) var timing = SyncTiming()

    public init(world: MPIWorld, optimizer: AdamW, bucketBytes: Int = 4 << 20) {
        self.world = world
        let bucketFloats = max(1, bucketBytes / MemoryLayout<Float>.size)
        adam = ShardedAdamW(optimizer, rank: world.rank, ranks: world.size, bucketFloats: bucketFloats)
        timing.ranks = world.size
        let largest = adam.shard.buckets.map(\.count).max() ?? 0
        buffer = [Float](repeating: 0, count: largest)
        received = [Float](repeating: 0, count: adam.shard.chunks.map(\.flat.count).max() ?? 0)
    }

    public func share(batch: Int) -> BatchShare { BatchShare(batch: batch, rank: world.rank, ranks: world.size) }

    /// Times a collective phase.
    private func timed<T>(_ body: () throws -> T) rethrows -> T {
        let t0 = Date()
        defer { timing.seconds += Date().timeIntervalSince(t0) }
        return try body()
    }

    /// Reduce-scatter: afterwards the gradients hold the sums at this rank's shard (elsewhere they are
    /// this rank's own and unused).
    public func reduce(_ parameters: [Tensor], _ mine: StepAgreement) throws -> StepAgreement {
        precondition(parameters.count == adam.params.count)
        let arrived = Date()
        try world.barrier()
        timing.waitSeconds += Date().timeIntervalSince(arrived)
        return try timed {
            for p in adam.params where p.grad == nil { p.grad = Tensor(zeros: p.shape) }
            let grads = adam.params.map { $0.grad!.data }
            for (b, flat) in shard.buckets.enumerated() {
                let chunk = shard.chunks[b].flat
                try buffer.withUnsafeMutableBufferPointer { send in
                    try received.withUnsafeMutableBufferPointer { recv in
                        shard.pack(flat, from: grads, into: send.baseAddress!)
                        try world.reduceScatterSum(send.baseAddress!, into: recv.baseAddress!, counts: shard.counts(of: flat))
                        shard.unpack(chunk, from: recv.baseAddress!, into: grads)
                    }
                }
            }
            timing.steps += 1
            return try mine.agreed(in: world)
        }
    }

    /// The norm of the whole summed gradient: the shards' squared sums, summed over the ranks.
    public func clip(maxNorm: Float) throws -> Float {
        var total = [adam.squaredGradientSum()]
        try timed { try world.allreduceSum(&total) }
        let norm = total[0].squareRoot()
        if let c = GradientClip.scale(norm: norm, maxNorm: maxNorm) { adam.scaleGradients(by: c) }
        return Float(norm)
    }

    /// This rank's chunk updated, then every rank's chunks gathered into the weights.
    public func step() throws {
        adam.step()
        try timed {
            let weights = adam.params.map(\.data)
            for (b, flat) in shard.buckets.enumerated() {
                let chunk = shard.chunks[b].flat
                try buffer.withUnsafeMutableBufferPointer { buf in
                    let base = buf.baseAddress!
                    shard.pack(chunk, from: weights, into: base + (chunk.lowerBound - flat.lowerBound))
                    try world.allgather(base, counts: shard.counts(of: flat))
                    shard.unpack(flat, from: base, into: weights)
                }
            }
        }
    }

    /// The moments gathered to rank 0, bucket by bucket (never more than a bucket in flight).
    public func exportState() throws -> [String: Tensor] {
        try timed {
            let gather = { (b: Int, first: Bool) throws -> [Float] in
                try self.world.gather(self.adam.moments(bucket: b, first: first), counts: self.shard.counts(of: self.shard.buckets[b]))
            }
            if world.isLeader { return try adam.wholeState(bucket: gather) }
            // The same collectives in the same order as `wholeState` makes.
            for b in shard.buckets.indices { for first in [true, false] { _ = try gather(b, first) } }
            return [:]
        }
    }

    public func importState(_ state: [String: Tensor]) throws { try adam.importState(state) }

    /// This rank's moments; rank 0's shard is the largest (the even split gives the first ranks the extra elements).
    public var stateBytes: Int { adam.stateBytes }
}
