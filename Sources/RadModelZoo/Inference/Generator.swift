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
        precondition(!prompt.isEmpty, "generation needs a non-empty prompt")
        let state = model.makeInferenceState(batch: 1, capacity: prompt.count + maxTokens)
        var sampler = TokenSampler(options)
        let vocab = model.config.vocabSize
        var logits = model.logits(prompt, batch: 1, states: state)
        var produced: [Int32] = []
        while produced.count < maxTokens {
            // Keep `logits` alive while the sampler reads through its pointer.
            let next = withExtendedLifetime(logits) {
                sampler.sample(logits.data + (logits.rowCount - 1) * vocab, vocab: vocab)
            }
            produced.append(next)
            if stopTokens.contains(next) || !onToken(next) { break }
            if produced.count == maxTokens { break }
            logits = model.logits([next], batch: 1, states: state)
        }
        return produced
    }
}
