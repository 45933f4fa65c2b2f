import Foundation

/// Shows step progress: on a terminal one line redrawn in place (step, tokens, tokens/s, loss, ETA);
/// otherwise a plain line at most every `plainInterval` seconds. Updates with a loss or metrics (the
/// training curves; the trainer sends every `log_every`-th) are appended to `metrics.jsonl`; plain counting
/// ticks (tokenisation, evaluation requests) only once, at the end of their step: one line per data source,
/// not one per document (nor one every few seconds of a long tokenisation). Step messages
/// (`message`) end a line left open on the terminal first, so they never run into it. A failed write (a full
/// disk) is reported once as an `error:` line naming the file and the cause, the partial line is cut off
/// again, and nothing more is written there; `metricsFailure` keeps it for the runner.
final class ProgressReporter {
    let isTerminal: Bool
    private(set) var metrics: FileHandle?
    let metricsURL: URL?
    /// The run every metrics line belongs to (`"run"` in each line).
    let runID: String?
    private(set) var metricsFailure: FileFailure?
    let plainInterval: TimeInterval
    let sink: (String) -> Void
    var start: [String: Date] = [:]
    /// Tokens a resumed step had trained before this process (not counted in its rate and ETA).
    var resumedTokens: [String: Int64] = [:]
    var lastPrint = Date.distantPast
    /// A progress line without its newline is on the terminal.
    var lineOpen = false

    init(isTerminal: Bool, metricsURL: URL?, runID: String? = nil, plainInterval: TimeInterval = 10, sink: @escaping (String) -> Void) {
        self.isTerminal = isTerminal; self.plainInterval = plainInterval; self.sink = sink; self.metricsURL = metricsURL
        self.runID = runID
        guard let metricsURL else { metrics = nil; return }
        do {
            if !FileManager.default.fileExists(atPath: metricsURL.path),
               !FileManager.default.createFile(atPath: metricsURL.path, contents: nil) {
                // createFile says only that it failed; opening says why.
                _ = try FileHandle(forWritingTo: metricsURL)
            }
            let handle = try FileHandle(forWritingTo: metricsURL)
            try handle.seekToEnd()
            metrics = handle
        } catch {
            metrics = nil
            failMetrics(error)
        }
    }

    /// Reports the first failure to write metrics.jsonl and stops writing it.
    private func failMetrics(_ error: Error) {
        guard metricsFailure == nil, let metricsURL else { return }
        let failure = FileFailure(path: ManifestSource.display(metricsURL.path), cause: FileFailure.cause(of: error))
        metricsFailure = failure
        try? metrics?.close()
        metrics = nil
        sink((isTerminal ? "\n" : "") + "error: \(failure) (no more progress metrics are recorded for this run)\n")
    }

    deinit { try? metrics?.close() }

    func begin(step: String) { start[step] = Date() }

    /// Step `step` resumes with `tokens` already trained: its rate counts only the tokens trained now.
    func resumed(step: String, tokens: Int64) { resumedTokens[step] = tokens }

    /// `unit` names what `tokens` counts ("tok" for training, "req" for evaluation requests).
    /// `record: false` draws the line without appending it to metrics.jsonl (a training step between its `log_every` lines).
    func update(step: String, tokens: Int64, total: Int64, loss: Double?, metrics extra: [String: Double], unit: String = "tok",
                record recorded: Bool = true) {
        let now = Date()
        let elapsed = now.timeIntervalSince(start[step] ?? now)
        let rate = StepRate.perSecond(tokens: tokens, resumedAt: resumedTokens[step] ?? 0, elapsed: elapsed)
        let eta = rate > 0 ? Double(max(0, total - tokens)) / rate : .nan
        var record: [String: CanonicalValue] = ["step": .string(step), "tokens": .int(tokens), "total": .int(total),
                                                "elapsed_s": .double((elapsed * 1000).rounded() / 1000),
                                                "time": .string(ISO8601DateFormatter().string(from: now))]
        if let loss { record["loss"] = .double(loss) }
        if let runID { record["run"] = .string(runID) }
        // The record's own keys win: a trainer's optimizer "step" must not replace the pipeline step's
        // name (the report groups the curves by it); such a metric is kept as "optimizer_step".
        for (k, v) in extra where v.isFinite { record[record[k] == nil ? k : "optimizer_" + k] = .double(v) }
        let done = tokens >= total
        let line = Self.format(step: step, tokens: tokens, total: total, rate: rate, loss: loss, eta: eta, unit: unit)
        if isTerminal {
            sink("\r\u{1B}[2K" + line + (done ? "\n" : ""))
            lineOpen = !done
        } else if done || now.timeIntervalSince(lastPrint) >= plainInterval {
            sink(line + "\n"); lastPrint = now
        }
        let curve = loss != nil || !extra.isEmpty
        if let metrics, recorded, curve || done {
            let start = try? metrics.offset()
            do { try metrics.write(contentsOf: Data((CanonicalValue.object(record).canonicalJSON + "\n").utf8)) }
            catch {
                // No half line: a reader of metrics.jsonl sees whole records only.
                if let start { try? metrics.truncate(atOffset: start) }
                failMetrics(error)
            }
        }
    }

    /// A line of its own about a step (`eval: teacher done`), after any open progress line.
    func message(_ line: String) {
        endLine()
        sink(line + "\n")
    }

    /// Ends a progress line left open on the terminal (a step that stopped before its last update).
    func endLine() {
        if lineOpen { sink("\n"); lineOpen = false }
    }

    static func format(step: String, tokens: Int64, total: Int64, rate: Double, loss: Double?, eta: Double,
                       unit: String = "tok") -> String {
        let frac = total > 0 ? min(1, Double(tokens) / Double(total)) : 1
        let width = 20
        let filled = Int(frac * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        // Slow steps (evaluation runs a few requests a second) would otherwise show "0/s".
        let shownRate = rate < 10 ? String(format: "%.1f", rate) : Units.count(Int64(rate))
        var s = "\(step) [\(bar)] \(Units.count(tokens))/\(Units.count(total)) \(unit)  \(shownRate)\(unit)/s"
        if let loss { s += String(format: "  loss %.4f", loss) }
        s += "  ETA \(eta.isFinite ? Units.duration(eta) : "?")"
        return s
    }
}

/// The rate a progress line shows.
public enum StepRate {
    /// Tokens per second of this process: a resumed step's earlier tokens are not part of it (they once
    /// were, and a step resumed at 90 % showed ten times its speed and a tenth of its ETA).
    public static func perSecond(tokens: Int64, resumedAt resumed: Int64, elapsed: TimeInterval) -> Double {
        elapsed > 0 ? Double(max(0, tokens - resumed)) / elapsed : 0
    }
}

/// Human units for counts, bytes and durations.
public enum Units {
    public static func count(_ n: Int64) -> String {
        let a = Double(n)
        if abs(a) >= 1e12 { return String(format: "%.1fT", a / 1e12) }
        if abs(a) >= 1e9 { return String(format: "%.1fG", a / 1e9) }
        if abs(a) >= 1e6 { return String(format: "%.1fM", a / 1e6) }
        if abs(a) >= 1e4 { return String(format: "%.1fk", a / 1e3) }
        return String(n)
    }
    public static func bytes(_ n: Int64) -> String {
        let a = Double(n)
        if a >= 1073741824 { return String(format: "%.1f GiB", a / Double(1 << 30)) }
        if a >= 1048576 { return String(format: "%.1f MiB", a / Double(1 << 20)) }
        if a >= 1024 { return String(format: "%.1f KiB", a / Double(1 << 10)) }
        return "\(n) B"
    }
    public static func duration(_ s: Double) -> String {
        if s < 60 { return String(format: "%.0fs", s) }
        if s < 3600 { return String(format: "%dm%02ds", Int(s) / 60, Int(s) % 60) }
        if s < 86400 * 3 { return String(format: "%dh%02dm", Int(s) / 3600, (Int(s) % 3600) / 60) }
        return String(format: "%.1f days", s / 86400)
    }
    public static func flops(_ f: Double) -> String {
        if f >= 1e18 { return String(format: "%.2f EFLOP", f / 1e18) }
        if f >= 1e15 { return String(format: "%.2f PFLOP", f / 1e15) }
        if f >= 1e12 { return String(format: "%.2f TFLOP", f / 1e12) }
        return String(format: "%.2f GFLOP", f / 1e9)
    }
}
