import Testing
import RadOps

/// The fused head and scores of scoring and evaluation against whole logits and the Double reference.
@Suite struct HeadTokenScoresTests {
    static func setup(n: Int, c: Int, v: Int, seed: UInt64) -> (Tensor, Tensor, [Int32]) {
        var rng = TestRNG(seed: seed)
        let hidden = rng.tensor([n, c]), head = rng.tensor([v, c], -0.8, 0.8)
        return (hidden, head, (0..<n).map { _ in Int32(rng.next() % UInt64(v)) })
    }

    @Test(arguments: [1, 5, 37, 256])
    func equalsTheReferenceOnWholeLogits(block: Int) {
        let (n, v) = (37, 301)
        let (hidden, head, targets) = Self.setup(n: n, c: 12, v: v, seed: 11)
        let logits = linear(hidden, weight: head).toArray()
        let scores = headTokenScores(hidden: hidden, head: head, targets: targets, blockRows: block)
        #expect(scores.count == n)
        for r in 0..<n {
            let ref = HeadScoreKernels.reference(Array(logits[(r * v)..<((r + 1) * v)]), target: Int(targets[r]))
            #expect(abs(scores[r].logProbability - ref.logProbability) < 1e-5, "row \(r)")
            #expect(scores[r].isArgmax == ref.isArgmax, "row \(r)")
        }
    }

    /// Greedy picks come from real argmaxes: targets set to each row's argmax score as picked.
    @Test func argmaxTargetsArePicked() {
        let (n, v) = (9, 50)
        let (hidden, head, _) = Self.setup(n: n, c: 6, v: v, seed: 3)
        let logits = linear(hidden, weight: head).toArray()
        let best = (0..<n).map { r -> Int32 in
            let row = logits[(r * v)..<((r + 1) * v)]
            return Int32(row.indices.max { row[$0] < row[$1] }! - r * v)
        }
        let scores = headTokenScores(hidden: hidden, head: head, targets: best, blockRows: 4)
        #expect(scores.allSatisfy { $0.isArgmax })
    }

    /// Ties go to the first maximum, as a greedy decoder's scan picks it.
    @Test func tiesGoToTheFirstMaximum() {
        let row: [Float] = [0.5, 2, 1, 2, -1]
        let scores = row.withUnsafeBufferPointer { p in
            [Int32(1), 3, 2].map { t -> Bool in
                var lp = 0.0, am = false
                HeadScoreKernels.rows(logits: p.baseAddress!, targets: [t], rows: 1, v: row.count, logProbability: &lp, isArgmax: &am)
                return am
            }
        }
        #expect(scores == [true, false, false])
        #expect(HeadScoreKernels.reference(row, target: 1).isArgmax && !HeadScoreKernels.reference(row, target: 3).isArgmax)
    }
}
