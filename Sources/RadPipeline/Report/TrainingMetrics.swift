import Foundation

/// One line of `metrics.jsonl`, typed: what the progress reporter writes for a step (`ProgressReporter`),
/// with the trainer's extras (`TrainingStep`: grad_norm, lr, lr_attention, optimizer_step).
struct MetricsLine {
    var run: CanonicalValue?
    var step: String
    var tokens: Double
    var elapsedSeconds: Double?
    var loss: Double?
    var gradNorm: Double?
    var lr: Double?
    var lrAttention: Double?

    init?(_ v: CanonicalValue) {
        guard let step = v["step"]?.stringValue, let tokens = v["tokens"]?.doubleValue, tokens.isFinite else { return nil }
        self.step = step; self.tokens = tokens
        run = v["run"]
        func finite(_ key: String) -> Double? { v[key]?.doubleValue.flatMap { $0.isFinite ? $0 : nil } }
        elapsedSeconds = finite("elapsed_s"); loss = finite("loss"); gradNorm = finite("grad_norm")
        lr = finite("lr"); lrAttention = finite("lr_attention")
    }
}

/// A training step's curves, each point per optimizer step: loss, learning rates and gradient norm
/// against tokens trained, and throughput against time since the step started.
struct StepCurves {
    typealias Point = LineChart.Point
    var step: String
    var loss: [Point] = []
    var lr: [Point] = []
    var lrAttention: [Point] = []
    var gradNorm: [Point] = []
    /// Tokens per second between consecutive lines, at the later line's time.
    var tokensPerSecond: [Point] = []
    /// The last line's (tokens, elapsed seconds), to difference the next one against.
    var previous: (tokens: Double, seconds: Double)?
    /// The first timed line's, for the mean rate.
    var first: (tokens: Double, seconds: Double)?

    /// Tokens per second from the first timed line to the last (nil with fewer than two).
    var meanTokensPerSecond: Double? {
        guard let a = first, let b = previous, b.seconds > a.seconds, b.tokens > a.tokens else { return nil }
        return (b.tokens - a.tokens) / (b.seconds - a.seconds)
    }

    init(step: String) { self.step = step }

    mutating func append(_ line: MetricsLine) {
        guard let loss = line.loss else { return }
        let x = line.tokens
        self.loss.append(Point(x: x, y: loss))
        if let v = line.lr { lr.append(Point(x: x, y: v)) }
        if let v = line.lrAttention { lrAttention.append(Point(x: x, y: v)) }
        if let v = line.gradNorm { gradNorm.append(Point(x: x, y: v)) }
        if let t = line.elapsedSeconds {
            // The first line's time includes loading the models; rates start from the second line.
            if let p = previous, t > p.seconds, x > p.tokens {
                tokensPerSecond.append(Point(x: t, y: (x - p.tokens) / (t - p.seconds)))
            }
            previous = (x, t)
            if first == nil { first = (x, t) }
        }
    }
}

/// `metrics.jsonl` read into typed per-step curves for ONE run. The file is appended to by every run of
/// the folder: when lines carry a `run` id, only the lines of the last line's run are drawn (lines
/// without one belong to a single legacy run). Within it, a step whose token count goes back down was
/// started again (an earlier attempt that failed or was interrupted): only its latest attempt is drawn.
/// Lines without a loss (tokenisation and evaluation ticks) draw nothing.
enum TrainingMetrics {
    static func load(_ url: URL) -> [StepCurves] {
        guard let data = FileManager.default.contents(atPath: url.path) else { return [] }
        return parse(data)
    }

    /// The curves of the steps that logged a loss, in the order they first did.
    static func parse(_ data: Data) -> [StepCurves] {
        let lines = data.split(separator: UInt8(ascii: "\n")).compactMap { line -> MetricsLine? in
            (try? JSONReader.parse(Data(line))).flatMap(MetricsLine.init)
        }
        guard let last = lines.last else { return [] }
        var order: [String] = []
        var curves: [String: StepCurves] = [:]
        for line in lines where line.run == last.run && line.loss != nil {
            if let previous = curves[line.step]?.loss.last, line.tokens < previous.x { curves[line.step] = nil }
            if curves[line.step] == nil {
                curves[line.step] = StepCurves(step: line.step)
                if !order.contains(line.step) { order.append(line.step) }
            }
            curves[line.step]!.append(line)
        }
        return order.compactMap { curves[$0] }
    }
}
