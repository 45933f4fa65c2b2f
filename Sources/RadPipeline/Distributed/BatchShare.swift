import RadOps

/// Which sequences of each optimizer step's global batch one rank computes. The global batch, the
/// learning rate and the token budget stay the manifest's: N ranks train the same model as one process,
/// each on a contiguous slice of the batch (the first `batch % ranks` ranks take one sequence more).
public struct BatchShare: Equatable, Sendable {
    /// The manifest's sequences per optimizer step (every rank's together).
    public let batch: Int
    public let rank: Int
    public let ranks: Int

    public init(batch: Int, rank: Int, ranks: Int) {
        precondition(batch > 0 && ranks > 0 && (0..<ranks).contains(rank))
        self.batch = batch; self.rank = rank; self.ranks = ranks
    }

    /// The whole batch: one process.
    public static func whole(batch: Int) -> BatchShare { BatchShare(batch: batch, rank: 0, ranks: 1) }

    /// This rank's sequences, as positions in the step's batch (empty when there are more ranks than sequences).
    public var samples: Range<Int> { EvenSplit.range(count: batch, part: rank, parts: ranks) }

    /// The forward/backward passes of this rank's slice: runs of at most `microBatch` sequences.
    public func passes(microBatch: Int) -> [Range<Int>] {
        precondition(microBatch > 0)
        return stride(from: samples.lowerBound, to: samples.upperBound, by: microBatch).map {
            $0..<min($0 + microBatch, samples.upperBound)
        }
    }

    /// The weight of a pass's mean loss in the step's loss: its share of the global batch's tokens (every
    /// sequence has the same length), so that the ranks' gradients sum to the one-process gradient.
    public func weight(of pass: Range<Int>) -> Double { Double(pass.count) / Double(batch) }
}
