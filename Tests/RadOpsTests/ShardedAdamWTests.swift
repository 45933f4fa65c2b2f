import Testing
import Foundation
import RadOps

/// ZeRO stage 1 without MPI: three simulated ranks, buckets smaller than the parameters (so chunks cross
/// parameter boundaries), the "collectives" done by hand. Each rank's shard update, gathered, must equal
/// the unsharded AdamW bit for bit, and the gathered state must be AdamW's exported state.
@Suite struct ShardedAdamWTests {
    static let ranks = 3, bucket = 5

    /// Parameters of sizes 12, 4 and 7 in two groups (the second without weight decay).
    static func optimizer() -> (AdamW, [Tensor]) {
        var r = TestRNG(seed: 61)
        let a = r.tensor([3, 4]); a.name = "a"
        let b = r.tensor([4]); b.name = "b"
        let c = r.tensor([7]); c.name = "c"
        let o = AdamW(groups: [ParamGroup(params: [a, b], lr: 1e-2), ParamGroup(params: [c], lr: 3e-3, weightDecay: 0)],
                      beta1: 0.9, beta2: 0.95, weightDecay: 0.1)
        return (o, [a, b, c])
    }

    @Test func shardsCoverEveryElementOnce() {
        let sizes = [12, 4, 7]
        let shards = (0..<Self.ranks).map { ParameterShard(sizes: sizes, rank: $0, ranks: Self.ranks, bucketFloats: Self.bucket) }
        var seen = sizes.map { [Int](repeating: 0, count: $0) }
        for s in shards { for seg in s.segments { for i in seg.elements { seen[seg.param][i] += 1 } } }
        #expect(seen.allSatisfy { $0.allSatisfy { $0 == 1 } })
        #expect(shards[0].buckets == [0..<5, 5..<10, 10..<15, 15..<20, 20..<23])
        for (b, flat) in shards[0].buckets.enumerated() {
            // The ranks' chunks of a bucket, in rank order, are the bucket.
            let chunks = shards.map { $0.chunks[b].flat }
            #expect(chunks.first!.lowerBound == flat.lowerBound && chunks.last!.upperBound == flat.upperBound)
            #expect(zip(chunks, chunks.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
        }
        #expect(shards.map(\.count) == [9, 9, 5] && shards.map(\.count).reduce(0, +) == 23)
    }

    @Test func shardedStepsEqualAdamWBitForBit() throws {
        let (reference, refParams) = Self.optimizer()
        let ranks = (0..<Self.ranks).map { r -> ShardedAdamW in
            ShardedAdamW(Self.optimizer().0, rank: r, ranks: Self.ranks, bucketFloats: Self.bucket)
        }
        var rng = TestRNG(seed: 62)
        for step in 0..<4 {
            let grads = refParams.map { rng.tensor($0.shape) }
            for (p, g) in zip(refParams, grads) { p.grad = g.copy() }
            let norm = clipGradNorm(refParams, maxNorm: 0.5)
            reference.step()
            for z in ranks { for (p, g) in zip(z.params, grads) { p.grad = g.copy() } }
            // The global norm: the shards' squared sums added over the ranks.
            let total = ranks.reduce(0.0) { $0 + $1.squaredGradientSum() }.squareRoot()
            #expect(abs(total - Double(norm)) <= 1e-6 * Double(norm))
            if let c = GradientClip.scale(norm: total, maxNorm: 0.5) { for z in ranks { z.scaleGradients(by: c) } }
            for z in ranks { z.step() }
            // The all-gather: every bucket's chunks from their owners into every rank's weights.
            let shard = ranks[0].shard
            for (b, flat) in shard.buckets.enumerated() {
                var bucket = [Float](repeating: 0, count: flat.count)
                for z in ranks {
                    let chunk = z.shard.chunks[b].flat
                    bucket.withUnsafeMutableBufferPointer {
                        z.shard.pack(chunk, from: z.params.map(\.data), into: $0.baseAddress! + (chunk.lowerBound - flat.lowerBound))
                    }
                }
                for z in ranks { bucket.withUnsafeBufferPointer { z.shard.unpack(flat, from: $0.baseAddress!, into: z.params.map(\.data)) } }
            }
            for z in ranks {
                for (p, q) in zip(refParams, z.params) { #expect(p.toArray() == q.toArray(), "step \(step + 1), rank \(z.shard.rank), \(p.name!)") }
            }
        }
        // The gathered moments are AdamW's state, bit for bit; the shards hold a third of them.
        let whole = try ranks[0].wholeState { b, first in ranks.flatMap { Array($0.moments(bucket: b, first: first)) } }
        let expected = reference.exportState()
        #expect(Set(whole.keys) == Set(expected.keys))
        for (k, t) in expected { #expect(whole[k]?.toArray() == t.toArray(), "\(k)") }
        #expect(ranks.map(\.stateBytes).reduce(0, +) == reference.stateBytes)
        #expect(ranks[0].stateBytes == 9 * 8 && reference.stateBytes == 23 * 8)

        // Resumed from the whole state, a fresh shard continues exactly as AdamW.
        let (fresh, freshParams) = Self.optimizer()
        for (p, q) in zip(freshParams, refParams) { p.data.update(from: q.data, count: p.count) }
        let resumed = ShardedAdamW(fresh, rank: 1, ranks: Self.ranks, bucketFloats: Self.bucket)
        try resumed.importState(expected)
        #expect(fresh.stepCount == 4)
        for b in resumed.shard.buckets.indices {
            #expect(Array(resumed.moments(bucket: b, first: false)) == Array(ranks[1].moments(bucket: b, first: false)))
        }
        #expect(throws: OptimizerStateError.self) { try resumed.importState(["step": Tensor(shape: [1], values: [1]), "z.exp_avg": Tensor(zeros: [2])]) }
    }
}
