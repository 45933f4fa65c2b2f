import RadOps
import Foundation

/// Sums gradients over an MPI world in buckets of a few MB: each bucket's gradients are copied into one
/// contiguous buffer, summed with one allreduce and copied back. The passes weighted their losses by
/// their share of the global batch's tokens (`BatchShare.weight`), so the sum is the one-process
/// gradient: no division follows.
///
/// With `overlapsBackward`, the buckets of a layer are summed by a thread of their own as soon as the
/// backward pass of the step's last pass has finished that layer (`overlap`), while it goes on with the
/// layers below; `reduce` then waits for the last buckets only. Without it, `reduce` sums every bucket
/// after backward. Each gradient element is summed over the same ranks either way.
public final class GradientReducer: GradientSync {
    let world: MPIWorld
    /// Floats per bucket (4 MiB): few enough calls that latency does not count, small enough a buffer.
    let bucketFloats: Int
    /// Whether `overlap` starts summing during backward (the manifest's `overlap_backward`, where MPI
    /// lets a second thread call it).
    public let overlapsBackward: Bool
    private var buffer: [Float] = []
    public private(set) var timing = SyncTiming()
    /// The summation running beside the backward pass, between `overlap` and `reduce`.
    private var running: OverlappedSum?
    /// One thread at a time calls MPI (MPI_THREAD_SERIALIZED): this one, while `running` is set.
    private let communication = DispatchQueue(label: "rad.gradient-allreduce")

    public init(world: MPIWorld, bucketBytes: Int = 4 << 20, overlapBackward: Bool = false) {
        self.world = world; self.bucketFloats = max(1, bucketBytes / MemoryLayout<Float>.size)
        self.overlapsBackward = overlapBackward && world.serialized
        timing.ranks = world.size
    }

    public func share(batch: Int) -> BatchShare { BatchShare(batch: batch, rank: world.rank, ranks: world.size) }

    /// A collective call's worth of gradients: whole parameters packed together, or a piece of one
    /// larger than a bucket (an embedding), summed in place.
    struct Bucket {
        var parameters: [Tensor]
        var piece: Range<Int>?
    }

    /// `parameters` in buckets, in order. Every rank walks the same parameters in the same order, so
    /// the buckets line up.
    static func buckets(_ parameters: [Tensor], floats: Int) -> [Bucket] {
        var out: [Bucket] = [], open: [Tensor] = [], filled = 0
        func close() { if !open.isEmpty { out.append(Bucket(parameters: open)); open = []; filled = 0 } }
        for p in parameters {
            if p.count > floats {
                close()
                for start in stride(from: 0, to: p.count, by: floats) {
                    out.append(Bucket(parameters: [p], piece: start..<min(start + floats, p.count)))
                }
                continue
            }
            if filled + p.count > floats { close() }
            open.append(p); filled += p.count
        }
        close()
        return out
    }

    /// Sums one bucket's gradients over the ranks (every one of them has a gradient).
    func sum(_ bucket: Bucket) throws {
        if let piece = bucket.piece {
            try world.allreduceSum(bucket.parameters[0].grad!.data + piece.lowerBound, count: piece.count)
            return
        }
        let filled = bucket.parameters.reduce(0) { $0 + $1.count }
        if buffer.count < filled { buffer = [Float](repeating: 0, count: max(filled, bucketFloats)) }
        try buffer.withUnsafeMutableBufferPointer { buf in
            var at = 0
            for p in bucket.parameters { (buf.baseAddress! + at).update(from: p.grad!.data, count: p.count); at += p.count }
            try world.allreduceSum(buf.baseAddress!, count: filled)
            at = 0
            for p in bucket.parameters { p.grad!.data.update(from: buf.baseAddress! + at, count: p.count); at += p.count }
        }
    }

    public func overlap(_ parameters: [Tensor], layers: [[Tensor]]) -> ((Int) -> Void)? {
        guard overlapsBackward, running == nil else { return nil }
        let sum = OverlappedSum(parameters, layers: layers, floats: bucketFloats)
        running = sum
        communication.async { [self] in
            let t0 = Date()
            for (i, bucket) in sum.buckets.enumerated() {
                sum.ready[i].wait()
                if sum.error == nil {
                    do { try self.sum(bucket) } catch { sum.error = error }
                }
            }
            sum.seconds = Date().timeIntervalSince(t0)
            sum.finished.signal()
        }
        return { [weak sum] layer in sum?.release(layer: layer) }
    }

    public func reduce(_ parameters: [Tensor], _ mine: StepAgreement) throws -> StepAgreement {
        if let sum = running {
            // The buckets backward has not released (the layers a rank without sequences never ran, the
            // parameters outside the layers), then the wait for the thread to finish them.
            let t0 = Date()
            sum.releaseAll()
            sum.finished.wait()
            running = nil
            if let error = sum.error { throw error }
            let agreed = try mine.agreed(in: world)
            timing.seconds += Date().timeIntervalSince(t0); timing.steps += 1
            timing.overlappedSeconds += sum.seconds
            return agreed
        }
        let arrived = Date()
        try world.barrier()
        let t0 = Date()
        timing.waitSeconds += t0.timeIntervalSince(arrived)
        for p in parameters where p.grad == nil { p.grad = Tensor(zeros: p.shape) }
        for bucket in Self.buckets(parameters, floats: bucketFloats) { try sum(bucket) }
        let agreed = try mine.agreed(in: world)
        timing.seconds += Date().timeIntervalSince(t0); timing.steps += 1
        return agreed
    }
}

/// One step's buckets summed beside the backward pass: the last layer's first, then the layers below,
/// then the parameters outside the layers. The summing thread takes them strictly in that order, each
/// once backward has released it, so every rank makes the same calls in the same order.
final class OverlappedSum {
    let buckets: [GradientReducer.Bucket]
    /// The layer each bucket belongs to (nil: a parameter outside the layers).
    let layerOf: [Int?]
    let ready: [DispatchSemaphore]
    private var released: [Bool]
    let finished = DispatchSemaphore(value: 0)
    /// Written by the summing thread before `finished` is signalled, read after it.
    var error: Error?
    var seconds = 0.0

    init(_ parameters: [Tensor], layers: [[Tensor]], floats: Int) {
        let trainable = Set(parameters.map(ObjectIdentifier.init))
        var placed = Set<ObjectIdentifier>()
        var buckets: [GradientReducer.Bucket] = [], layerOf: [Int?] = []
        for l in layers.indices.reversed() {
            let mine = layers[l].filter { trainable.contains(ObjectIdentifier($0)) && placed.insert(ObjectIdentifier($0)).inserted }
            let b = GradientReducer.buckets(mine, floats: floats)
            buckets += b; layerOf += Array(repeating: l, count: b.count)
        }
        let rest = GradientReducer.buckets(parameters.filter { !placed.contains(ObjectIdentifier($0)) }, floats: floats)
        buckets += rest; layerOf += Array(repeating: nil, count: rest.count)
        self.buckets = buckets; self.layerOf = layerOf
        ready = buckets.map { _ in DispatchSemaphore(value: 0) }
        released = Array(repeating: false, count: buckets.count)
    }

    /// Hands layer `layer`'s buckets to the summing thread (on the thread running backward).
    func release(layer: Int) {
        for i in buckets.indices where layerOf[i] == layer { release(i) }
    }

    /// Hands every bucket not yet released to the summing thread.
    func releaseAll() { for i in buckets.indices { release(i) } }

    private func release(_ i: Int) {
        guard !released[i] else { return }
        released[i] = true
        // A parameter nothing read has no gradient: it sums as zeros.
        for p in buckets[i].parameters where p.grad == nil { p.grad = Tensor(zeros: p.shape) }
        ready[i].signal()
    }
}
