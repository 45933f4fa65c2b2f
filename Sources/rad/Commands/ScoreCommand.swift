import RadModelZoo
import RadOps
import ArgumentParser
import Foundation
import RadPipeline

struct ScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Mean negative log-likelihood per token (nats) and perplexity of a text.")

    @Option(name: .long, help: "A .gguf file or an HF model folder (teacher or student).") var model: String
    @Option(name: .long, help: "The text file to score.") var text: String
    @Option(name: .long, help: "Window length in tokens.") var seqLen: Int = 512
    @Option(name: .long, help: "Windows scored together.") var batch: Int = Scorer.defaultBatch
    @Flag(name: .long, help: "Print one JSON object.") var json = false

    func validate() throws {
        guard seqLen >= 2 else { throw ValidationError("--seq-len must be at least 2") }
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
    }

    func run() throws {
        try reportingErrors {
            // The text first: a missing or non-UTF-8 file is reported before the model takes a second to load.
            let source = try UserText.read(text)
            let (network, tokenizer) = try loadModelAndTokenizer(model)
            let tokens = tokenizer.encode(source, parseSpecial: false)
            // A perplexity needs at least one predicted token (and JSON has no NaN).
            guard tokens.count >= 2 else {
                throw DataError("\(text): \(tokens.count) token\(tokens.count == 1 ? "" : "s"), fewer than 2 tokens: nothing to score")
            }
            // The window the user sized, as Scorer will cut it, before its logits are allocated.
            let window = min(seqLen, tokens.count)
            try ForwardMemoryGuard.requireForward(model: network, windows: max(1, min(batch, tokens.count / window)), window: window, option: "--seq-len")
            let progress = json ? nil : ProgressLine("score")
            let result = try Scorer(model: network, seqLen: seqLen, batch: batch)
                .score(tokens) { done, total in progress?.update(done: done, total: total) }
                .requireFinite(model: model, input: text)
            if json {
                let obj: [String: Any] = ["model": model, "text": text, "tokens": result.tokens, "nll": result.nll,
                                          "ppl": result.ppl, "seq_len": seqLen]
                print(String(decoding: try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self))
            } else {
                print(String(format: "tokens %d  nll %.6f nats/token  ppl %.4f", result.tokens, result.nll, result.ppl))
            }
        }
    }
}
