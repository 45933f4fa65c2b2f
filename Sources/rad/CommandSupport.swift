import RadModelZoo
import RadOps
import ArgumentParser
import Foundation
import RadPipeline

/// Writes to standard error.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// The model and the tokenizer a verb runs on, checked to fit together: a token id past the model's
/// vocabulary would read past its embedding table.
func loadModelAndTokenizer(_ path: String) throws -> (model: DecoderModel, tokenizer: BPETokenizer) {
    let loaded = try ModelLoader.load(path)
    guard let tokenizer = loaded.tokenizer else { throw DataError("\(path): has no tokenizer (an HF folder needs its tokenizer.json)") }
    let vocab = loaded.model.config.vocabSize
    guard tokenizer.vocabSize <= vocab else {
        throw DataError("\(path): the tokenizer has \(tokenizer.vocabSize) tokens but the model's vocabulary only \(vocab)")
    }
    return (loaded.model, tokenizer)
}

/// Whether standard error is a terminal (progress bars redraw in place there; plain lines otherwise).
var stderrIsTerminal: Bool { isatty(STDERR_FILENO) != 0 }

/// A progress line that redraws itself on a terminal and prints sparse plain lines otherwise.
final class ProgressLine {
    let label: String
    private var lastPrint = Date.distantPast
    private let started = Date()
    private let interactive = stderrIsTerminal

    init(_ label: String) { self.label = label }

    func update(done: Int, total: Int, unit: String = "tokens", extra: String = "") {
        let now = Date()
        let finished = done >= total
        guard finished || now.timeIntervalSince(lastPrint) >= (interactive ? 0.2 : 10) else { return }
        lastPrint = now
        let elapsed = now.timeIntervalSince(started)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let pct = total > 0 ? 100 * Double(done) / Double(total) : 100
        let line = String(format: "%@ %5.1f%% %d/%d %@ %.0f %@/s ETA %@%@", label, pct, done, total, unit, rate, unit,
                          formatDuration(eta), extra.isEmpty ? "" : " " + extra)
        if interactive {
            FileHandle.standardError.write(Data(("\r\u{1B}[2K" + line + (finished ? "\n" : "")).utf8))
        } else {
            printError(line)
        }
    }
}

func formatDuration(_ seconds: Double) -> String {
    let s = Int(seconds.rounded())
    return s >= 3600 ? String(format: "%dh%02dm", s / 3600, s % 3600 / 60) : String(format: "%dm%02ds", s / 60, s % 60)
}
