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

    public init(model: DecoderModel, seqLen: Int = 512, batch: Int = 4) {
        self.model = model; self.seqLen = seqLen; self.batch = batch
    }

    public func score(_ tokens: [Int32], progress: ((Int, Int) -> Void)? = nil) -> ScoreResult {
        var windows: [ArraySlice<Int32>] = []
        var start = 0
        while start < tokens.count {
            let end = min(start + seqLen, tokens.count)
            if end - start >= 2 { windows.append(tokens[start..<end]) }
            start = end
        }
        var total = 0.0, count = 0, done = 0
        var i = 0
        while i < windows.count {
            // Batch only full-length windows together; the ragged tail goes alone.
            var group = [windows[i]]
            while group.count < batch, i + group.count < windows.count,
                  windows[i + group.count].count == windows[i].count {
                group.append(windows[i + group.count])
            }
            let (sum, n) = nllSum(group)
            total += sum; count += n
            i += group.count
            done += group.reduce(0) { $0 + $1.count }
            progress?(done, tokens.count)
        }
        return ScoreResult(tokens: count, nll: count > 0 ? total / Double(count) : .nan)
    }

    /// Sum of NLLs over the predicted tokens of equally long windows, and how many were predicted.
    public func nllSum(_ windows: [ArraySlice<Int32>]) -> (Double, Int) {
        let len = windows[0].count
        let flat = windows.flatMap { Array($0) }
        let logits = model.logits(flat, batch: windows.count)
        let vocab = model.config.vocabSize
        var sum = 0.0
        for w in 0..<windows.count {
            for t in 0..<(len - 1) {
                let row = logits.data + (w * len + t) * vocab
                let target = Int(flat[w * len + t + 1])
                sum -= LogSoftmaxRow.logProbability(row, count: vocab, index: target)
            }
        }
        return (sum, windows.count * (len - 1))
    }
}

/// log softmax of one row at one index, in Double.
public enum LogSoftmaxRow {
    public static func logProbability(_ row: UnsafePointer<Float>, count: Int, index: Int) -> Double {
        var mx = -Float.infinity
        for i in 0..<count { mx = max(mx, row[i]) }
        var s = 0.0
        for i in 0..<count { s += exp(Double(row[i] - mx)) }
        return Double(row[index] - mx) - log(s)
    }
}
