import RadOps

/// A decoder-only language model: embeddings, layers, final RMSNorm, LM head. Teachers and students
/// are both `DecoderModel`s; they differ only in their layers' `SequenceMixer`s.
public final class DecoderModel {
    public let config: TransformerConfig
    public let embedTokens: Tensor
    public var layers: [DecoderLayer]
    public let norm: Tensor
    /// The LM head [vocab, C]. For a tied model this is the same tensor object as `embedTokens`.
    public let lmHead: Tensor
    /// Set for students: the architecture that replaced attention (nil for a teacher).
    public var student: StudentDescriptor?
    /// While training, keep only each layer's input and recompute the layer in the backward pass
    /// (`checkpointed`): activation memory of one layer instead of all, for one more forward pass.
    public var activationCheckpointing = false
    /// Called during a backward pass as soon as layer i's parameters have their whole gradient, from the
    /// last layer down (a data-parallel trainer starts summing them over the ranks while backward goes on).
    public var layerGradientsDone: ((Int) -> Void)?

    public init(config: TransformerConfig, embedTokens: Tensor, layers: [DecoderLayer], norm: Tensor, lmHead: Tensor) {
        self.config = config; self.embedTokens = embedTokens; self.layers = layers; self.norm = norm; self.lmHead = lmHead
    }

    public var isTied: Bool { lmHead === embedTokens }

    /// Every parameter once (a tied head is not listed twice), with checkpoint keys in `name`.
    public var parameters: [Tensor] {
        var all = [embedTokens]
        for layer in layers { all += layer.parameters }
        all.append(norm)
        if !isTied { all.append(lmHead) }
        return all
    }

    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }

    /// Embeds `tokens` ([B·T] row-major) into the residual stream [B, T, C].
    public func embed(_ tokens: [Int32], batch: Int) -> Tensor {
        embedding(tokens, table: embedTokens).reshaped([batch, tokens.count / batch, config.hiddenSize])
    }

    /// The residual stream after every layer, [B, T, C].
    public func hiddenStates(_ tokens: [Int32], batch: Int, states: InferenceState? = nil) -> Tensor {
        precondition(batch > 0 && tokens.count % batch == 0, "\(tokens.count) tokens do not split into \(batch) rows")
        let seqLen = tokens.count / batch
        let context = ForwardContext(batch: batch, seqLen: seqLen, positionOffset: states?.position ?? 0)
        var x = embed(tokens, batch: batch)
        if activationCheckpointing && states == nil && Tape.current != nil {
            for i in layers.indices { markLayerStart(i); x = checkpointedLayer(i, x, context: context) }
            return x
        }
        for (i, layer) in layers.enumerated() {
            markLayerStart(i)
            context.layerIndex = i
            x = layer(x, context: context, state: states?.layers[i])
        }
        return x
    }

    /// Before layer i's forward, while a tape records: the point where backward has finished layer i
    /// (a layer's parameters are read by its own forward only; what it carries to later layers is an
    /// activation, whose gradient reaches the layer through its own ops).
    public func markLayerStart(_ i: Int) {
        guard let tape = Tape.current else { return }
        tape.mark { [weak self] in self?.layerGradientsDone?(i) }
    }

    /// Layer `i` under `checkpointed`. What mixers carry across layers (`ForwardContext.carried`) enters
    /// as explicit inputs, and what the layer adds or replaces leaves as explicit outputs, so gradients
    /// flow through the carried tensors to the layer that made them.
    func checkpointedLayer(_ i: Int, _ x: Tensor, context: ForwardContext) -> Tensor {
        let layer = layers[i]
        let keysIn = context.carried.keys.sorted()
        let tensorsIn = keysIn.map { context.carried[$0]! }
        var keysOut: [String] = []
        let outputs = checkpointed([x] + tensorsIn) { inputs in
            context.layerIndex = i
            context.carried = Dictionary(uniqueKeysWithValues: zip(keysIn, inputs.dropFirst()))
            let y = layer(inputs[0], context: context, state: nil)
            keysOut = context.carried.keys.filter { key in
                guard let at = keysIn.firstIndex(of: key) else { return true }
                return context.carried[key]! !== inputs[1 + at]
            }.sorted()
            return [y] + keysOut.map { context.carried[$0]! }
        }
        var carried = Dictionary(uniqueKeysWithValues: zip(keysIn, tensorsIn))
        for (key, t) in zip(keysOut, outputs.dropFirst()) { carried[key] = t }
        context.carried = carried
        return outputs[0]
    }

    /// The final norm of the residual stream, as rows [B·T, C]: what the output head multiplies.
    public func finalNormed(_ x: Tensor) -> Tensor {
        rmsNorm(x, weight: norm, eps: Float(config.rmsNormEps)).reshaped([-1, config.hiddenSize])
    }

    /// Normalised final hidden states → logits [B·T, vocab].
    public func logits(fromHidden x: Tensor) -> Tensor { linear(finalNormed(x), weight: lmHead) }

    /// Logits [B·T, vocab] for `tokens` ([B·T] row-major).
    public func logits(_ tokens: [Int32], batch: Int, states: InferenceState? = nil) -> Tensor {
        logits(fromHidden: hiddenStates(tokens, batch: batch, states: states))
    }

    /// A fresh inference state (KV caches and/or recurrent states) for `batch` sequences.
    public func makeInferenceState(batch: Int, capacity: Int) -> InferenceState {
        InferenceState(layers: layers.map { $0.mixer.makeState(batch: batch, capacity: capacity) })
    }
}

/// The per-layer states of one decoding session.
public final class InferenceState {
    public let layers: [MixerState]
    public init(layers: [MixerState]) { self.layers = layers }
    /// Tokens consumed so far.
    public var position: Int { layers.first?.position ?? 0 }

    /// `batch` copies of sequence `row`, each able to continue it independently (see `MixerState.replicated`).
    public func replicated(row: Int = 0, batch: Int, capacity: Int) -> InferenceState {
        InferenceState(layers: layers.map { $0.replicated(row: row, batch: batch, capacity: capacity) })
    }
}
