/// AdamW over one rank's shard of the parameters (ZeRO stage 1, `ParameterShard`): the moments of the
/// shard's elements only, about 1/N of `AdamW`'s. The optimizer it wraps keeps the groups, learning rates,
/// hyper-parameters and step count (its own moments are never allocated); every element is updated by the
/// same arithmetic as `AdamW.step` (`AdamW.update`), so a sharded step equals an unsharded one bit for bit
/// where the gradients are equal. The communication (summing the gradients into the shard, gathering
/// the updated weights, gathering the moments for a checkpoint) is the caller's.
public final class ShardedAdamW {
    public let optimizer: AdamW
    public let shard: ParameterShard
    /// The parameters of every group, in order: the shard's parameter indices.
    public let params: [Tensor]
    let groupOf: [Int]
    /// The shard's first moments, then its second moments (`shard.count` each).
    public private(set) var state: [Float]

    public init(_ optimizer: AdamW, rank: Int, ranks: Int, bucketFloats: Int) {
        self.optimizer = optimizer
        let all = optimizer.parameters
        params = all.map(\.param); groupOf = all.map(\.group)
        shard = ParameterShard(sizes: params.map(\.count), rank: rank, ranks: ranks, bucketFloats: bucketFloats)
        state = [Float](repeating: 0, count: 2 * shard.count)
    }

    /// Bytes of the moments this rank holds.
    public var stateBytes: Int { state.count * MemoryLayout<Float>.size }

    /// Σ g² over the shard's elements (the gradients there must be the summed ones).
    public func squaredGradientSum() -> Double {
        shard.segments.reduce(0.0) { total, s in
            guard let g = params[s.param].grad else { return total }
            return total + GradientClip.squaredSum(g.data + s.elements.lowerBound, count: s.elements.count)
        }
    }

    /// Multiplies the shard's gradients by `c` (clipping).
    public func scaleGradients(by c: Float) {
        for s in shard.segments {
            if let g = params[s.param].grad { GradientClip.multiply(g.data + s.elements.lowerBound, count: s.elements.count, by: c) }
        }
    }

    /// One AdamW step of the shard's elements (from the summed gradients there); the other elements of
    /// the weights are left as they were, for the caller to gather from their owners.
    public func step() {
        optimizer.stepCount += 1
        let constants = optimizer.groups.indices.map { optimizer.constants(group: $0) }
        let n = shard.count
        state.withUnsafeMutableBufferPointer { buf in
            let m = buf.baseAddress!, v = m + n
            for s in shard.segments {
                let p = params[s.param]
                guard let g = p.grad else { continue }
                let from = s.elements.lowerBound
                AdamW.update(p.data + from, grad: g.data + from, m: m + s.at, v: v + s.at, count: s.elements.count, constants[groupOf[s.param]])
            }
        }
    }

    /// Restores the shard's part of a whole state written by `AdamW.exportState` (or `wholeState`), with
    /// `AdamW.importState`'s checks; a parameter without moments there starts from zeros, as in `AdamW`.
    public func importState(_ whole: [String: Tensor]) throws {
        let checked = try optimizer.validated(whole)
        let moments = checked.moments.flatMap { $0 }
        var fresh = [Float](repeating: 0, count: state.count)
        let n = shard.count
        fresh.withUnsafeMutableBufferPointer { buf in
            for s in shard.segments {
                let (mt, vt) = moments[s.param]
                let count = s.elements.count, from = s.elements.lowerBound
                if let mt { (buf.baseAddress! + s.at).update(from: mt.data + from, count: count) }
                if let vt { (buf.baseAddress! + n + s.at).update(from: vt.data + from, count: count) }
            }
        }
        state = fresh; optimizer.stepCount = checked.step
    }

    /// The moments of this rank's chunk of bucket `b` (`first`: the first moments, else the second).
    public func moments(bucket b: Int, first: Bool) -> ArraySlice<Float> {
        let chunk = shard.chunks[b], base = first ? 0 : shard.count
        return state[(base + chunk.at)..<(base + chunk.at + chunk.flat.count)]
    }

    /// The whole state under `AdamW.exportState`'s names, from every bucket's moments gathered from all
    /// ranks (`bucket(b, first)`: bucket b's first or second moments, in flat order).
    public func wholeState(bucket: (Int, Bool) throws -> [Float]) throws -> [String: Tensor] {
        let m = params.map { Tensor(zeros: $0.shape) }, v = params.map { Tensor(zeros: $0.shape) }
        for (b, flat) in shard.buckets.enumerated() {
            for (first, into) in [(true, m), (false, v)] {
                let values = try bucket(b, first)
                precondition(values.count == flat.count)
                values.withUnsafeBufferPointer { shard.unpack(flat, from: $0.baseAddress!, into: into.map(\.data)) }
            }
        }
        var out: [String: Tensor] = ["step": Tensor(shape: [1], values: [Float(optimizer.stepCount)])]
        var index = 0
        for gi in optimizer.groups.indices {
            for pi in optimizer.groups[gi].params.indices {
                out[optimizer.key(gi, pi) + ".exp_avg"] = m[index]
                out[optimizer.key(gi, pi) + ".exp_avg_sq"] = v[index]
                index += 1
            }
        }
        return out
    }
}
