import RadOps
import Foundation

/// Sums gradients over an MPI world after backward, in buckets of a few MB: each bucket's gradients are
/// copied into one contiguous buffer, summed with one allreduce and copied back. The passes weighted
/// their losses by their share of the global batch's tokens (`BatchShare.weight`), so the sum is the
/// one-process gradient: no division follows.
public final class GradientReducer: GradientSync {
    let world: MPIWorld
    /// Floats per bucket (4 MiB): few enough calls that latency does not count, small enough a buffer.
    let bucketFloats: Int
    private var buffer: [Float] = []
    public private(set) var timing = SyncTiming()

    public init(world: MPIWorld, bucketBytes: Int = 4 << 20) {
        self.world = world; self.bucketFloats = max(1, bucketBytes / MemoryLayout<Float>.size)
        timing.ranks = world.size
    }

    public func share(batch: Int) -> BatchShare { BatchShare(batch: batch, rank: world.rank, ranks: world.size) }

    public func reduce(_ parameters: [Tensor], _ mine: StepAgreement) throws -> StepAgreement {
        let arrived = Date()
        try world.barrier()
        let t0 = Date()
        timing.waitSeconds += t0.timeIntervalSince(arrived)
        // Every rank walks the same parameters in the same order, so the buckets line up.
        for p in parameters where p.grad == nil { p.grad = Tensor(zeros: p.shape) }
        if buffer.count < bucketFloats { buffer = [Float](repeating: 0, count: bucketFloats) }
        var bucket: [Tensor] = [], filled = 0
        func flush() throws {
            guard filled > 0 else { return }
            try buffer.withUnsafeMutableBufferPointer { buf in
                var at = 0
                for g in bucket { (buf.baseAddress! + at).update(from: g.data, count: g.count); at += g.count }
                try world.allreduceSum(buf.baseAddress!, count: filled)
                at = 0
                for g in bucket { g.data.update(from: buf.baseAddress! + at, count: g.count); at += g.count }
            }
            bucket.removeAll(keepingCapacity: true); filled = 0
        }
        for p in parameters {
            let g = p.grad!
            if g.count > bucketFloats {
                // Larger than a bucket (an embedding): summed in place, in bucket-sized pieces.
                try flush()
                var at = 0
                while at < g.count {
                    let n = min(bucketFloats, g.count - at)
                    try world.allreduceSum(g.data + at, count: n)
                    at += n
                }
                continue
            }
            if filled + g.count > bucketFloats { try flush() }
            bucket.append(g); filled += g.count
        }
        try flush()
        let agreed = try mine.agreed(in: world)
        timing.seconds += Date().timeIntervalSince(t0); timing.steps += 1
        return agreed
    }
}
