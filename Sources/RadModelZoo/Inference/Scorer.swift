import Foundation
import RadOps

/// Negative log-likelihood of a token stream under a model.
public struct ScoreResult: Sendable, Codable {
    /// Tokens whose probability was scored (every window's tokens but its first).
    public var tokens: Int
    /// Mean negative log-likelihood per scored token, in nats.
    public var nll: Double
    public var ppl: Double { exp(nll) }

    public init(tokens: Int, nll: Double) { self.tokens = tokens; self.nll = nll }
}

/// Scores text the way `rad score` reports it: the stream is cut into consecutive windows of
/// `seqLen` tokens; inside each window every token after the first is predicted from those before it.
/// Windows are batched `batch` at a time (a shorter final window is scored on its own).
public struct Scorer {
    public let model: DecoderModel
    public var seqLen: Int
    public var batch: Int

    /// Windows scored together unless told otherwise.
    public static let defaultBatch = 4

    public init(model: DecoderModel, seqLen: Int = 512, batch: Int = Scorer.defaultBatch) {
        self.model = model; self.seqLen = seqLen; self.batch = batch
    }

    public func score(_ tokens: [Int32], progress: ((Int, Int) -> Void)? = nil) -> ScoreResult {
        var done = 0
        let sums = batches(tokens).map { group -> (Double, Int) in
            let sum = nllSum(group)
            done += group.reduce(0) { $0 + $1.count }
            progress?(done, tokens.count)
            return sum
        }
        return Self.result(sums)
    }

    /// The windows of `tokens`, batched as `score` batches them: full-length windows `batch` at a time,
    /// the ragged tail alone. Each batch is scored on its own (`nllSum`), so the batches can be shared out.
    public func batches(_ tokens: [Int32]) -> [[ArraySlice<Int32>]] {
        var windows: [ArraySlice<Int32>] = []
        var start = 0
        while start < tokens.count {
            let end = min(start + seqLen, tokens.count)
            if end - start >= 2 { windows.append(tokens[start..<end]) }
            start = end
        }
        var out: [[ArraySlice<Int32>]] = []
        var i = 0
        while i < windows.count {
            var group = [windows[i]]
            while group.count < batch, i + group.count < windows.count,
                  windows[i + group.count].count == windows[i].count {
                group.append(windows[i + group.count])
            }
            out.append(group)
            i += group.count
        }
        return out
    }

    /// The score of every batch's `nllSum`, added in batch order.
    public static func result(_ sums: [(Double, Int)]) -> ScoreResult {
        var total = 0.0, count = 0
        for (sum, n) in sums { total += sum; count += n }
        return ScoreResult(tokens: count, nll: count > 0 ? total / Double(count) : .nan)
    }

    /// Sum of NLLs over the predicted tokens of equally long windows, and how many were predicted. The
    /// head runs fused with the scores (`headTokenScores`): no [tokens × vocab] logits exist whole.
    public func nllSum(_ windows: [ArraySlice<Int32>]) -> (Double, Int) {
        let len = windows[0].count
        let flat = windows.flatMap { Array($0) }
        let hidden = model.finalNormed(model.hiddenStates(flat, batch: windows.count))
        // Every row's target is the next token; a window's last row has none and is scored against token 0
        // and skipped (one row in `len`, cheaper than gathering the others into a new tensor).
        var targets = [Int32](repeating: 0, count: flat.count)
        for i in 0..<(flat.count - 1) where (i + 1) % len != 0 { targets[i] = flat[i + 1] }
        let scores = headTokenScores(hidden: hidden, head: model.lmHead, targets: targets)
        var sum = 0.0
        for w in 0..<windows.count {
            for t in 0..<(len - 1) { sum -= scores[w * len + t].logProbability }
        }
        return (sum, windows.count * (len - 1))
    }
}
