import Testing
import RadPipeline

/// Every rank's slice of a step's batch: together they cover it exactly once, in order, with sizes that
/// differ by at most one (uneven N included), and their weights sum to one.
@Suite struct BatchShareTests {
    @Test func slicesCoverTheBatchExactlyOnce() {
        for batch in [1, 2, 3, 4, 7, 32, 96, 97] {
            for ranks in [1, 2, 3, 4, 5, 8, 100] {
                let shares = (0..<ranks).map { BatchShare(batch: batch, rank: $0, ranks: ranks) }
                let covered = shares.flatMap { Array($0.samples) }
                #expect(covered == Array(0..<batch), "batch \(batch) over \(ranks) ranks: \(covered)")
                let sizes = shares.map(\.samples.count)
                #expect(sizes.max()! - sizes.min()! <= 1)
                for micro in [1, 2, 3, 32] {
                    let passes = shares.flatMap { $0.passes(microBatch: micro) }
                    #expect(passes.flatMap { Array($0) } == Array(0..<batch))
                    #expect(passes.allSatisfy { !$0.isEmpty && $0.count <= micro })
                    let weight = zip(shares, shares.map { $0.passes(microBatch: micro) })
                        .reduce(0.0) { sum, s in sum + s.1.reduce(0.0) { $0 + s.0.weight(of: $1) } }
                    #expect(abs(weight - 1) < 1e-12)
                }
            }
        }
    }

    @Test func unevenBatchesGiveTheFirstRanksOneMore() {
        #expect((0..<3).map { BatchShare(batch: 7, rank: $0, ranks: 3).samples } == [0..<3, 3..<5, 5..<7])
        #expect(BatchShare(batch: 2, rank: 3, ranks: 4).samples.isEmpty)
        #expect(BatchShare.whole(batch: 96).passes(microBatch: 32) == [0..<32, 32..<64, 64..<96])
    }
}
