import RadOps

/// qlinatt, the paper's simplest baseline (spec §2.4): its options, parameters, mixer and HF identity.
public struct QLinAttArchitecture: StudentArchitecture {
    public static let name = "qlinatt"
    public static let summary = "QLinAtt baseline: linear attention with RoPE and a per-head LayerNorm instead of a denominator"
    public static let hfModelType = "qlinattqwen2"
    public static let hfArchitecture = "QLinAttQwen2ForCausalLM"
    /// The GLA kernel with log-decay 0.
    public static let recurrenceKernel = "gla"
    /// No decay and no token shift: stage 3a has nothing to train.
    public static let decayAndTokenshiftParameters: Set<String> = []
    public static let optionTable: [ArchitectureOption] = [
        .bool("rope", true, "apply the teacher's RoPE to query and key"),
    ]

    public var rope: Bool

    public init(options: [String: OptionValue] = [:]) throws {
        var r = OptionReader(options, architecture: Self.name, table: Self.optionTable)
        rope = try r.bool("rope")
        try r.finish()
    }

    public var options: [String: OptionValue] { ["rope": .bool(rope)] }

    public func hfConfigFields(config: TransformerConfig) -> [String: OptionValue] { ["use_rope": .bool(rope)] }

    public static func options(fromHF hf: HFStudentConfig) throws -> [String: OptionValue] {
        ["rope": .bool(hf.bool("use_rope") ?? true)]
    }

    public func specs(config: TransformerConfig, layer: Int, layers: Int) -> [ParameterSpec] {
        let d = config.numHeads * config.headDim
        var s = teacherProjectionSpecs(config: config, layer: layer)
        s.append(ParameterSpec("ln_x.weight", [d], .constant(1)))
        s.append(ParameterSpec("ln_x.bias", [d], .zeros))
        return s
    }

    public func makeMixer(config: TransformerConfig, layer: Int, parameters: ParameterTable) -> SequenceMixer {
        QLinAttMixer(config: config, options: self, parameters: parameters)
    }
}

/// QLinAtt: un-normalised causal linear attention over RoPE'd q and k (no decay, no feature map), a
/// per-head LayerNorm in place of the softmax denominator, then o_proj. It is the GLA recurrence with
/// log-decay 0 and scale 1.
public final class QLinAttMixer: SequenceMixer, ParameterTableOwner {
    public let options: QLinAttArchitecture
    public let table: ParameterTable
    let heads: Int, kvHeads: Int, headDim: Int, hidden: Int, ropeTheta: Float
    let q: HeadProjection, k: HeadProjection, v: HeadProjection, o: Tensor
    let normWeight: Tensor, normBias: Tensor

    public init(config: TransformerConfig, options: QLinAttArchitecture, parameters p: ParameterTable) {
        self.options = options
        table = p
        heads = config.numHeads; kvHeads = config.numKVHeads; headDim = config.headDim
        hidden = config.hiddenSize; ropeTheta = Float(config.ropeTheta)
        q = p.projection("q_proj", heads: heads, headDim: headDim)
        k = p.projection("k_proj", heads: kvHeads, headDim: headDim)
        v = p.projection("v_proj", heads: kvHeads, headDim: headDim)
        o = p["o_proj.weight"]
        normWeight = p["ln_x.weight"]; normBias = p["ln_x.bias"]
    }

    public var parameters: [Tensor] { table.tensors }

    public func forward(_ x: Tensor, context: ForwardContext, state: MixerState?) -> Tensor {
        let (b, t) = (context.batch, context.seqLen)
        let rec = state as? RecurrentState
        var q = self.q(x)
        var k = self.k(x)
        let v = self.v(x)
        if options.rope {
            q = rope(q, positionOffset: context.positionOffset, theta: ropeTheta)
            k = rope(k, positionOffset: context.positionOffset, theta: ropeTheta)
        }
        let groups = heads / kvHeads
        let noDecay = Tensor(zeros: q.shape)
        let (out, final) = glaRecurrence(q: q, k: repeatHeads(k, groups: groups), v: repeatHeads(v, groups: groups),
                                         logw: noDecay, scale: 1, initialState: rec?.matrix)
        if let rec { rec.matrix = final; rec.position += t }
        let normed = groupNorm(out.reshaped([b * t, heads * headDim]), groups: heads, weight: normWeight, bias: normBias, eps: 1e-5)
        return linear(normed.reshaped([b, t, heads * headDim]), weight: o)
    }

    public func makeState(batch: Int, capacity: Int) -> MixerState {
        RecurrentState(batch: batch, heads: heads, headDim: headDim, shiftWidth: nil)
    }
}
