/// What scoring needs of one position: the log-probability of the token that follows and whether a greedy
/// decoder would have picked it.
public struct TokenScore: Sendable, Equatable {
    public var logProbability: Double
    public var isArgmax: Bool
    public init(logProbability: Double, isArgmax: Bool) { self.logProbability = logProbability; self.isArgmax = isArgmax }
}

/// The output head and the per-token scores of scoring and evaluation in one pass over blocks of rows, so
/// that no [tokens × vocab] logits tensor exists whole (the forward-only sibling of `fusedHeadLoss`):
/// per block of `blockRows` rows, the logits GEMM against `head` [V, C], then `HeadScoreKernels.rows`.
/// `hidden` [n, C] are final-normed hidden states; `targets` [n] the tokens to score. Records nothing.
public func headTokenScores(hidden: Tensor, head: Tensor, targets: [Int32], blockRows: Int = HeadLossKernels.defaultBlockRows) -> [TokenScore] {
    let c = hidden.lastDim, n = hidden.rowCount, v = head.shape[0]
    precondition(head.rank == 2 && head.shape[1] == c, "headTokenScores: hidden \(hidden.shape) does not match head \(head.shape)")
    precondition(targets.count == n, "headTokenScores: \(targets.count) targets for \(n) rows")
    for (i, t) in targets.enumerated() {
        precondition(t >= 0 && Int(t) < v, "headTokenScores: target \(t) at position \(i) is outside the vocabulary 0..<\(v)")
    }
    guard n > 0 else { return [] }
    let rowsPerBlock = max(1, min(blockRows, n))
    let logits = Tensor(zeros: [rowsPerBlock, v])
    var logProbability = [Double](repeating: 0, count: n)
    var isArgmax = [Bool](repeating: false, count: n)
    targets.withUnsafeBufferPointer { tp in
        logProbability.withUnsafeMutableBufferPointer { lp in
            isArgmax.withUnsafeMutableBufferPointer { ap in
                for lo in stride(from: 0, to: n, by: rowsPerBlock) {
                    let b = min(rowsPerBlock, n - lo)
                    Gemm.sgemmPacked(transA: false, transB: true, m: b, n: v, k: c, a: hidden.data + lo * c, b: head.data, c: logits.data)
                    HeadScoreKernels.rows(logits: logits.data, targets: tp.baseAddress! + lo, rows: b, v: v,
                                          logProbability: lp.baseAddress! + lo, isArgmax: ap.baseAddress! + lo)
                }
            }
        }
    }
    return (0..<n).map { TokenScore(logProbability: logProbability[$0], isArgmax: isArgmax[$0]) }
}
