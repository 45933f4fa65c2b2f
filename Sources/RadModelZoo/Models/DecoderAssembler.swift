import RadOps

/// Builds a `DecoderModel` from a source of named tensors: a teacher checkpoint, a student export,
/// or a conversion in progress. `tensor(name, shape)` returns a tensor of exactly that shape or throws.
public enum DecoderAssembler {
    public typealias TensorProvider = (_ name: String, _ shape: [Int]) throws -> Tensor

    /// The shared (non-mixer) parts and the mixers of layers `0..<L`, made by `mixer(layer)`.
    public static func build(config: TransformerConfig, tiedHead: Bool, tensor: TensorProvider,
                             mixer: (Int) throws -> SequenceMixer) throws -> DecoderModel {
        let c = config.hiddenSize
        let embed = try named(tensor("model.embed_tokens.weight", [config.vocabSize, c]), "model.embed_tokens.weight")
        var layers: [DecoderLayer] = []
        for l in 0..<config.numLayers {
            let prefix = "model.layers.\(l)."
            let inputNorm = try named(tensor(prefix + "input_layernorm.weight", [c]), prefix + "input_layernorm.weight")
            let m = try mixer(l)
            let postNorm = try named(tensor(prefix + "post_attention_layernorm.weight", [c]), prefix + "post_attention_layernorm.weight")
            let mlp = SwiGLUMLP(
                gate: try named(tensor(prefix + "mlp.gate_proj.weight", [config.intermediateSize, c]), prefix + "mlp.gate_proj.weight"),
                up: try named(tensor(prefix + "mlp.up_proj.weight", [config.intermediateSize, c]), prefix + "mlp.up_proj.weight"),
                down: try named(tensor(prefix + "mlp.down_proj.weight", [c, config.intermediateSize]), prefix + "mlp.down_proj.weight"))
            layers.append(DecoderLayer(inputNorm: inputNorm, postNorm: postNorm, mixer: m, mlp: mlp, eps: Float(config.rmsNormEps)))
        }
        let norm = try named(tensor("model.norm.weight", [c]), "model.norm.weight")
        let head = tiedHead ? embed : try named(tensor("lm_head.weight", [config.vocabSize, c]), "lm_head.weight")
        return DecoderModel(config: config, embedTokens: embed, layers: layers, norm: norm, lmHead: head)
    }

    /// The teacher's softmax attention of `layer`, from the provider.
    public static func softmaxAttention(config: TransformerConfig, layer: Int, tensor: TensorProvider) throws -> SoftmaxAttention {
        let prefix = "model.layers.\(layer).self_attn."
        let d = config.numHeads * config.headDim, kv = config.numKVHeads * config.headDim, c = config.hiddenSize
        func t(_ name: String, _ shape: [Int]) throws -> Tensor { try named(tensor(prefix + name, shape), prefix + name) }
        let bias = config.attentionBias
        return SoftmaxAttention(
            qProj: try t("q_proj.weight", [d, c]), kProj: try t("k_proj.weight", [kv, c]),
            vProj: try t("v_proj.weight", [kv, c]), oProj: try t("o_proj.weight", [c, d]),
            qBias: bias ? try t("q_proj.bias", [d]) : nil, kBias: bias ? try t("k_proj.bias", [kv]) : nil,
            vBias: bias ? try t("v_proj.bias", [kv]) : nil,
            heads: config.numHeads, kvHeads: config.numKVHeads, headDim: config.headDim, ropeTheta: Float(config.ropeTheta))
    }

    /// A teacher (every layer softmax attention).
    public static func teacher(config: TransformerConfig, tensor: TensorProvider) throws -> DecoderModel {
        try build(config: config, tiedHead: config.tieWordEmbeddings, tensor: tensor) { l in
            try softmaxAttention(config: config, layer: l, tensor: tensor)
        }
    }

    private static func named(_ t: Tensor, _ name: String) -> Tensor {
        t.name = name
        return t
    }
}
