import RadModelZoo
import RadOps
import ArgumentParser
import Foundation
import RadPipeline

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Continue a prompt, streaming the text (KV cache for teachers, recurrent state for students).")

    @Option(name: .long, help: "A .gguf file or an HF model folder.") var model: String
    @Option(name: .long, help: "The prompt text.") var prompt: String
    @Option(name: .long, help: "Tokens to generate at most.") var maxTokens: Int = 64
    @Option(name: .long, help: "0 for greedy decoding.") var temperature: Float = 0
    @Option(name: .long, help: "Nucleus sampling mass.") var topP: Float = 1
    @Option(name: .long, help: "Sampling seed.") var seed: UInt64 = 0
    @Flag(name: .long, help: "Print token ids and timing after the text.") var verbose = false

    func validate() throws {
        guard maxTokens >= 1 else { throw ValidationError("--max-tokens must be at least 1") }
        guard temperature >= 0 else { throw ValidationError("--temperature must be >= 0") }
        guard topP > 0 && topP <= 1 else { throw ValidationError("--top-p must be in (0, 1]") }
    }

    func run() throws {
        try reportingErrors {
            let (network, tokenizer) = try loadModelAndTokenizer(model)
            let ids = tokenizer.encode(prompt)
            guard !ids.isEmpty else { throw DataError("the prompt is empty") }
            // The attention cache is allocated for prompt + --max-tokens up front.
            try ForwardMemoryGuard.requireDecoding(model: network, capacity: Int(min(Double(ids.count) + Double(maxTokens), 9e18)),
                                                   option: "--max-tokens", value: maxTokens)
            var decoder = StreamingDecoder(tokenizer: tokenizer, skipSpecial: true)
            let started = Date()
            var stops = Set(network.config.eosTokenIds.map(Int32.init))
            if let eos = tokenizer.eosId { stops.insert(eos) }
            let out = try Generator(model: network).generate(
                prompt: ids, maxTokens: maxTokens,
                options: SamplingOptions(temperature: temperature, topP: topP, seed: seed), stopTokens: stops,
                modelName: model) { id in
                    FileHandle.standardOutput.write(Data(decoder.push(id).utf8))
                    return true
                }
            FileHandle.standardOutput.write(Data((decoder.flush() + "\n").utf8))
            if verbose {
                let seconds = Date().timeIntervalSince(started)
                printError("tokens: \(out.map(String.init).joined(separator: " "))")
                printError(String(format: "%d tokens in %.2f s (%.1f tokens/s)", out.count, seconds, Double(out.count) / seconds))
            }
        }
    }
}
