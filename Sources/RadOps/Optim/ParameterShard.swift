/// Which elements of a list of parameters one rank keeps optimizer state for (ZeRO stage 1). The
/// parameters laid end to end, in order, form one flat vector; it is cut into buckets of at most
/// `bucketFloats` elements (the unit of every collective: reduce-scatter, all-gather, the checkpoint's
/// gather), and every bucket is split evenly among the ranks (`EvenSplit`). A rank owns its chunk of every
/// bucket: about 1/N of the elements, and of every collective's traffic.
///
/// A rank's shard is its chunks in bucket order, so the slice of the shard that belongs to one bucket is
/// contiguous, and the ranks' slices of one bucket, concatenated in rank order, are the bucket itself.
public struct ParameterShard: Sendable, Equatable {
    /// A run of one parameter's elements inside a flat range: parameter `param`'s `elements`, at offset
    /// `at` of the range (or of the shard, in `segments`).
    public struct Piece: Sendable, Equatable {
        public var param: Int
        public var elements: Range<Int>
        public var at: Int
    }

    /// This rank's chunk of one bucket: its flat elements, and where they start in the shard.
    public struct Chunk: Sendable, Equatable {
        public var flat: Range<Int>
        public var at: Int
    }

    /// Element count of every parameter, in order.
    public let sizes: [Int]
    public let rank: Int
    public let ranks: Int
    /// Where each parameter starts in the flat vector.
    let starts: [Int]
    /// The flat vector's buckets, in order.
    public let buckets: [Range<Int>]
    /// This rank's chunk of every bucket, in bucket order.
    public let chunks: [Chunk]
    /// This rank's elements, parameter by parameter, with their offsets in the shard.
    public let segments: [Piece]
    /// Elements this rank owns.
    public let count: Int

    public init(sizes: [Int], rank: Int, ranks: Int, bucketFloats: Int) {
        precondition(ranks > 0 && (0..<ranks).contains(rank) && bucketFloats > 0 && sizes.allSatisfy { $0 >= 0 })
        self.sizes = sizes; self.rank = rank; self.ranks = ranks
        var starts: [Int] = [], total = 0
        for n in sizes { starts.append(total); total += n }
        self.starts = starts
        buckets = stride(from: 0, to: total, by: bucketFloats).map { $0..<min($0 + bucketFloats, total) }
        var chunks: [Chunk] = [], segments: [Piece] = [], owned = 0
        for bucket in buckets {
            let part = EvenSplit.range(count: bucket.count, part: rank, parts: ranks)
            let flat = (bucket.lowerBound + part.lowerBound)..<(bucket.lowerBound + part.upperBound)
            chunks.append(Chunk(flat: flat, at: owned))
            segments += Self.pieces(of: flat, starts: starts, sizes: sizes).map { Piece(param: $0.param, elements: $0.elements, at: owned + $0.at) }
            owned += flat.count
        }
        self.chunks = chunks; self.segments = segments; count = owned
    }

    /// Elements of all parameters together.
    public var total: Int { buckets.last?.upperBound ?? 0 }

    /// Every rank's element count of `bucket`, in rank order (what a reduce-scatter hands each rank).
    public func counts(of bucket: Range<Int>) -> [Int] { EvenSplit.counts(count: bucket.count, parts: ranks) }

    /// The parameters' elements in `flat`, one piece per parameter it crosses, offsets relative to `flat`.
    public func pieces(of flat: Range<Int>) -> [Piece] { Self.pieces(of: flat, starts: starts, sizes: sizes) }

    static func pieces(of flat: Range<Int>, starts: [Int], sizes: [Int]) -> [Piece] {
        guard !flat.isEmpty else { return [] }
        // The last parameter starting at or before the range (binary search), then onwards.
        var lo = 0, hi = starts.count - 1
        while lo < hi { let mid = (lo + hi + 1) / 2; if starts[mid] <= flat.lowerBound { lo = mid } else { hi = mid - 1 } }
        var out: [Piece] = [], p = lo
        while p < sizes.count && starts[p] < flat.upperBound {
            let from = max(flat.lowerBound, starts[p]), to = min(flat.upperBound, starts[p] + sizes[p])
            if from < to { out.append(Piece(param: p, elements: (from - starts[p])..<(to - starts[p]), at: from - flat.lowerBound)) }
            p += 1
        }
        return out
    }

    /// Copies the elements of `flat` out of `arrays` (one pointer per parameter: its data or its gradient)
    /// into `buffer`, laid out as in the flat vector.
    public func pack(_ flat: Range<Int>, from arrays: [UnsafeMutablePointer<Float>], into buffer: UnsafeMutablePointer<Float>) {
        for piece in pieces(of: flat) {
            (buffer + piece.at).update(from: arrays[piece.param] + piece.elements.lowerBound, count: piece.elements.count)
        }
    }

    /// The reverse of `pack`: the elements of `flat` from `buffer` back into `arrays`.
    public func unpack(_ flat: Range<Int>, from buffer: UnsafePointer<Float>, into arrays: [UnsafeMutablePointer<Float>]) {
        for piece in pieces(of: flat) {
            (arrays[piece.param] + piece.elements.lowerBound).update(from: buffer + piece.at, count: piece.elements.count)
        }
    }
}
