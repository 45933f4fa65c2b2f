import RadOps
import Foundation
import RadModelZoo

/// Scores of one task.
public struct TaskResult: Codable, Sendable {
    public var task: String
    public var docs: Int
    public var acc: Double
    public var accPerChar: Double
    /// lambada only: every continuation token is the argmax.
    public var greedyAcc: Double?
    /// lambada only: exp(−mean log-likelihood of the continuation per document).
    public var ppl: Double?
    public var paperMetric: String
    public var paperScore: Double

    public init(task: String, docs: Int, acc: Double, accPerChar: Double, greedyAcc: Double?, ppl: Double?,
                paperMetric: String, paperScore: Double) {
        self.task = task; self.docs = docs; self.acc = acc; self.accPerChar = accPerChar; self.greedyAcc = greedyAcc
        self.ppl = ppl; self.paperMetric = paperMetric; self.paperScore = paperScore
    }

    enum CodingKeys: String, CodingKey {
        case task, docs, acc, accPerChar = "acc_per_char", greedyAcc = "greedy_acc", ppl
        case paperMetric = "paper_metric", paperScore = "paper_score"
    }
    /// What `encode` writes: the stored fields and, never read back, each accuracy's standard error
    /// (`EvalStatistics`) named as lm-evaluation-harness names them (absent with one document).
    enum EncodingKeys: String, CodingKey {
        case task, docs, acc, accPerChar = "acc_per_char", greedyAcc = "greedy_acc", ppl
        case paperMetric = "paper_metric", paperScore = "paper_score"
        case accStderr = "acc_stderr", accPerCharStderr = "acc_per_char_stderr", greedyAccStderr = "greedy_acc_stderr"
        case paperScoreStderr = "paper_score_stderr"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: EncodingKeys.self)
        try c.encode(task, forKey: .task); try c.encode(docs, forKey: .docs)
        try c.encode(acc, forKey: .acc); try c.encode(accPerChar, forKey: .accPerChar)
        try c.encodeIfPresent(greedyAcc, forKey: .greedyAcc); try c.encodeIfPresent(ppl, forKey: .ppl)
        try c.encode(paperMetric, forKey: .paperMetric); try c.encode(paperScore, forKey: .paperScore)
        let se = { (p: Double) in EvalStatistics.standardError(of: p, documents: docs) }
        try c.encodeIfPresent(se(acc), forKey: .accStderr); try c.encodeIfPresent(se(accPerChar), forKey: .accPerCharStderr)
        try c.encodeIfPresent(greedyAcc.flatMap(se), forKey: .greedyAccStderr)
        try c.encodeIfPresent(se(paperScore), forKey: .paperScoreStderr)
    }
}

/// lm-evaluation-harness-style zero-shot scoring: trailing spaces of the context move to the
/// continuation; the continuation's tokens are `encode(context + continuation)[len(encode(context)):]`;
/// a choice's score is the sum of their log-probabilities.
public struct LogLikelihoodEvaluator {
    public let model: DecoderModel
    public let tokenizer: BPETokenizer
    public var batchSize = 8
    public var maxLength = 1024
    /// Run the context shared by a document's answer choices once (the scores are the same up to
    /// float rounding; about twice as fast on multiple-choice tasks).
    public var sharePrefixes = true
    /// Shorter shared prefixes are not worth a separate pass.
    public var minimumSharedPrefix = 8

    public init(model: DecoderModel, tokenizer: BPETokenizer) {
        self.model = model; self.tokenizer = tokenizer
    }

    public struct Scored: Sendable { public var logLikelihood: Double; public var greedy: Bool }

    /// The task's scores. A NaN or infinite log-likelihood fails with `NonFiniteResultError` naming
    /// `modelName`: NaN compares false, so the accuracies would otherwise come out as plausible numbers.
    /// Under `share` every rank scores its part of the batches; every rank gets the whole result.
    public func evaluate(_ task: EvalTask, documents: [[EvalRequest]], modelName: String, share: WorkShare = WholeWork(),
                         progress: ((Int, Int) -> Void)? = nil) throws -> TaskResult {
        let requests = documents.flatMap { $0 }
        let scores = try score(requests, share: share, progress: progress)
        let input = "the \(task.rawValue) benchmark"
        try NonFiniteResultError.check(scores.map(\.logLikelihood), model: modelName, input: input)
        var index = 0
        var correct = 0, correctPerChar = 0, greedy = 0
        var llSum = 0.0
        for doc in documents {
            let s = Array(scores[index..<(index + doc.count)])
            index += doc.count
            let label = doc[0].label
            let best = s.indices.max { s[$0].logLikelihood < s[$1].logLikelihood }!
            let bestPerChar = s.indices.max {
                s[$0].logLikelihood / Double(max(doc[$0].continuation.count, 1))
                    < s[$1].logLikelihood / Double(max(doc[$1].continuation.count, 1))
            }!
            if doc[best].choice == label { correct += 1 }
            if doc[bestPerChar].choice == label { correctPerChar += 1 }
            if s.count == 1 {
                if s[0].greedy { greedy += 1 }
                llSum += s[0].logLikelihood
            }
        }
        let n = Double(max(documents.count, 1))
        var result = TaskResult(task: task.rawValue, docs: documents.count, acc: Double(correct) / n,
                                accPerChar: Double(correctPerChar) / n, greedyAcc: nil, ppl: nil,
                                paperMetric: task.paperMetric, paperScore: 0)
        if task == .lambada {
            result.greedyAcc = Double(greedy) / n
            result.ppl = exp(-llSum / n)
            try NonFiniteResultError.check([result.ppl!], model: modelName, input: input)
        }
        switch task.paperMetric {
        case "greedy_acc": result.paperScore = result.greedyAcc ?? 0
        case "acc_per_char": result.paperScore = result.accPerChar
        default: result.paperScore = result.acc
        }
        return result
    }

    /// Token ids of a request: the model input and how many final positions are the continuation.
    func encode(_ r: EvalRequest) -> (input: [Int32], targets: [Int32]) {
        var context = r.context, continuation = r.continuation
        while context.hasSuffix(" ") { context.removeLast(); continuation = " " + continuation }
        let whole = tokenizer.encode(context + continuation, parseSpecial: false, addBos: false)
        var ctx = tokenizer.encode(context, parseSpecial: false, addBos: false)
        if ctx.count > whole.count { ctx = Array(whole.prefix(whole.count - 1)) }
        var targets = Array(whole[ctx.count...])
        if targets.isEmpty { targets = [whole.last!] }
        // An empty context is conditioned on the end-of-text token, as lm-evaluation-harness does.
        var full = whole.count == targets.count ? [tokenizer.eosId ?? 0] + whole : whole
        if full.count - 1 > maxLength { full = Array(full.suffix(maxLength + 1)) }
        return (Array(full.dropLast()), targets)
    }

    /// A unit of `score`'s work: a run of requests sharing a prefix, or a batch of requests of similar length.
    enum Batch {
        case shared(requests: [Int], prefixLength: Int)
        case similar(requests: [Int])
        var count: Int { switch self { case .shared(let r, _), .similar(let r): return r.count } }
    }

    /// Log-likelihood of each request's continuation and whether every continuation token is the argmax.
    /// Under `share` this rank scores its part of the batches (the one-process batches, so each request's
    /// score is the one-process score) and the ranks' scores are combined.
    public func score(_ requests: [EvalRequest], share: WorkShare = WholeWork(), progress: ((Int, Int) -> Void)? = nil) throws -> [Scored] {
        let encoded = requests.map(encode)
        var results = [Scored](repeating: Scored(logLikelihood: 0, greedy: false), count: requests.count)
        let batches = self.batches(encoded)
        var done = 0
        // Ctrl-C stops between batches: an evaluation keeps nothing part-way, so waiting for its end
        // (up to half an hour) would only delay the stop.
        try share.forEachUnit(of: batches.count) { b in
            let batch = batches[b]
            switch batch {
            case .shared(let group, let p): scoreSharedPrefix(group, prefixLength: p, encoded: encoded, into: &results)
            case .similar(let group):
                let length = group.map { encoded[$0].input.count }.max()!
                var tokens = [Int32](repeating: 0, count: group.count * length)   // right padding is harmless: causal
                for (row, i) in group.enumerated() {
                    for (t, id) in encoded[i].input.enumerated() { tokens[row * length + t] = id }
                }
                let hidden = model.hiddenStates(tokens, batch: group.count)
                scoreContinuations(group, hidden: hidden, encoded: encoded, row: { row, t in row * length + t }, into: &results)
            }
            done += batch.count
            progress?(done, requests.count)
        }
        guard share.parts > 1 else { return results }
        // The other ranks' requests are zeros here: the sum is every request's one score.
        var values: [Double] = results.flatMap { [$0.logLikelihood, $0.greedy ? 1.0 : 0.0] }
        try share.combine(&values)
        return results.indices.map { Scored(logLikelihood: values[2 * $0], greedy: values[2 * $0 + 1] > 0) }
    }

    /// The shared-prefix runs, then the rest in batches of similar length.
    func batches(_ encoded: [(input: [Int32], targets: [Int32])]) -> [Batch] {
        let (groups, singles) = sharePrefixes ? Self.sharedPrefixGroups(encoded, minimum: minimumSharedPrefix)
                                              : ([], Array(encoded.indices))
        let order = singles.sorted { encoded[$0].input.count < encoded[$1].input.count }
        return groups.map { Batch.shared(requests: $0.requests, prefixLength: $0.prefixLength) }
            + stride(from: 0, to: order.count, by: batchSize).map { Batch.similar(requests: Array(order[$0..<min($0 + batchSize, order.count)])) }
    }

    /// Runs a shared prefix once, then every request's remaining tokens as one batch continuing copies of
    /// the prefix's state (KV caches or recurrent states).
    func scoreSharedPrefix(_ group: [Int], prefixLength p: Int, encoded: [(input: [Int32], targets: [Int32])],
                           into results: inout [Scored]) {
        let length = group.map { encoded[$0].input.count - p }.max()!
        let prefixState = model.makeInferenceState(batch: 1, capacity: p)
        _ = model.hiddenStates(Array(encoded[group[0]].input.prefix(p)), batch: 1, states: prefixState)
        let states = prefixState.replicated(batch: group.count, capacity: p + length)
        var tokens = [Int32](repeating: 0, count: group.count * length)   // right padding is harmless: causal
        for (row, i) in group.enumerated() {
            for (t, id) in encoded[i].input[p...].enumerated() { tokens[row * length + t] = id }
        }
        let hidden = model.hiddenStates(tokens, batch: group.count, states: states)
        scoreContinuations(group, hidden: hidden, encoded: encoded, row: { row, t in row * length + t - p }, into: &results)
    }

    /// Scores of the continuation positions only, the head fused with them (`headTokenScores`); `row(r, t)`
    /// is the hidden-state row of input position t of the r-th request of `group`.
    func scoreContinuations(_ group: [Int], hidden: Tensor, encoded: [(input: [Int32], targets: [Int32])],
                            row: (Int, Int) -> Int, into results: inout [Scored]) {
        let c = model.config.hiddenSize
        var rows: [Int] = []
        for (r, i) in group.enumerated() {
            let n = encoded[i].input.count, m = encoded[i].targets.count
            for t in (n - m)..<n { rows.append(row(r, t)) }
        }
        let picked = Tensor(zeros: [rows.count, c])
        for (j, r) in rows.enumerated() { (picked.data + j * c).update(from: hidden.data + r * c, count: c) }
        let scores = headTokenScores(hidden: model.finalNormed(picked), head: model.lmHead,
                                     targets: group.flatMap { encoded[$0].targets })
        var j = 0
        for i in group {
            var ll = 0.0, greedy = true
            for _ in encoded[i].targets {
                ll += scores[j].logProbability
                if !scores[j].isArgmax { greedy = false }
                j += 1
            }
            results[i] = Scored(logLikelihood: ll, greedy: greedy)
        }
    }

    /// Runs of consecutive requests (a document's answer choices) whose inputs share at least `minimum`
    /// tokens before the first position any of them scores; everything else is returned as `singles`.
    static func sharedPrefixGroups(_ encoded: [(input: [Int32], targets: [Int32])], minimum: Int)
        -> (groups: [(requests: [Int], prefixLength: Int)], singles: [Int]) {
        var groups: [(requests: [Int], prefixLength: Int)] = [], singles: [Int] = []
        var i = 0
        while i < encoded.count {
            var prefix = encoded[i].input.count - encoded[i].targets.count
            var j = i + 1
            while j < encoded.count {
                let a = encoded[i].input, b = encoded[j].input
                var common = 0
                while common < min(a.count, b.count) && a[common] == b[common] { common += 1 }
                let candidate = min(prefix, common, b.count - encoded[j].targets.count)
                if candidate < minimum { break }
                prefix = candidate
                j += 1
            }
            if j - i > 1 { groups.append((Array(i..<j), prefix)) } else { singles.append(i) }
            i = j
        }
        return (groups, singles)
    }
}
