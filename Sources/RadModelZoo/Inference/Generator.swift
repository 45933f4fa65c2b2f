import RadOps

/// Autoregressive generation with an inference state: a KV cache for softmax layers, a recurrent
/// state for RWKV layers (whose per-token cost does not grow with the context).
public struct Generator {
    public let model: DecoderModel

    public init(model: DecoderModel) { self.model = model }

    /// Generates up to `maxTokens` tokens after `prompt`. `onToken` sees each new token and returns
    /// false to stop. Generation also stops at any token of `stopTokens`. Returns the new tokens.
    @discardableResult
    public func generate(prompt: [Int32], maxTokens: Int, options: SamplingOptions = SamplingOptions(),
                         stopTokens: Set<Int32> = [], onToken: (Int32) -> Bool = { _ in true }) -> [Int32] {
        run(prompt: prompt, maxTokens: maxTokens, options: options, stopTokens: stopTokens, onToken: onToken) { _ in }
    }

    /// `generate`, failing with `NonFiniteResultError` naming `modelName` as soon as a row of logits
    /// holds a NaN or an infinity: sampling from it would print tokens that mean nothing.
    @discardableResult
    public func generate(prompt: [Int32], maxTokens: Int, options: SamplingOptions = SamplingOptions(),
                         stopTokens: Set<Int32> = [], modelName: String, onToken: (Int32) -> Bool = { _ in true }) throws -> [Int32] {
        let vocab = model.config.vocabSize
        return try run(prompt: prompt, maxTokens: maxTokens, options: options, stopTokens: stopTokens, onToken: onToken) { row in
            for i in 0..<vocab where !row[i].isFinite {
                throw NonFiniteResultError(model: modelName, input: "the prompt", value: Double(row[i]), quantity: "logits")
            }
        }
    }

    /// The generation loop; `inspect` sees each row of logits before a token is sampled from it.
    func run(prompt: [Int32], maxTokens: Int, options: SamplingOptions, stopTokens: Set<Int32>,
             onToken: (Int32) -> Bool, inspect: (UnsafePointer<Float>) throws -> Void) rethrows -> [Int32] {
        precondition(!prompt.isEmpty, "generation needs a non-empty prompt")
        let state = model.makeInferenceState(batch: 1, capacity: prompt.count + maxTokens)
        var sampler = TokenSampler(options)
        let vocab = model.config.vocabSize
        var logits = model.logits(prompt, batch: 1, states: state)
        var produced: [Int32] = []
        while produced.count < maxTokens {
            // Keep `logits` alive while the sampler reads through its pointer.
            let next = try withExtendedLifetime(logits) {
                let row = UnsafePointer(logits.data + (logits.rowCount - 1) * vocab)
                try inspect(row)
                return sampler.sample(row, vocab: vocab)
            }
            produced.append(next)
            if stopTokens.contains(next) || !onToken(next) { break }
            if produced.count == maxTokens { break }
            logits = model.logits([next], batch: 1, states: state)
        }
        return produced
    }
}
