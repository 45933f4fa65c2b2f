import RadOps

/// Options of the QLinAtt baseline (spec §2.4).
public struct QLinAttOptions: Equatable, Sendable {
    public var rope = true
    public init() {}
}

/// QLinAtt, the paper's simplest baseline: un-normalised causal linear attention over RoPE'd q and k
/// (no decay, no feature map), a per-head LayerNorm in place of the softmax denominator, then o_proj.
/// It is the GLA recurrence with log-decay 0 and scale 1.
public final class QLinAttMixer: SequenceMixer {
    public let options: QLinAttOptions
    public let p: ParameterTable
    let heads: Int, kvHeads: Int, headDim: Int, hidden: Int, ropeTheta: Float

    public static func specs(config: TransformerConfig, options: QLinAttOptions, layer: Int, layers: Int) -> [ParameterSpec] {
        let d = config.numHeads * config.headDim
        var s = teacherProjectionSpecs(config: config, layer: layer)
        s.append(ParameterSpec("ln_x.weight", [d], .constant(1)))
        s.append(ParameterSpec("ln_x.bias", [d], .zeros))
        return s
    }

    public init(config: TransformerConfig, options: QLinAttOptions, parameters: ParameterTable) {
        self.options = options
        p = parameters
        heads = config.numHeads; kvHeads = config.numKVHeads; headDim = config.headDim
        hidden = config.hiddenSize; ropeTheta = Float(config.ropeTheta)
    }

    public var parameters: [Tensor] { p.tensors }

    public func forward(_ x: Tensor, context: ForwardContext, state: MixerState?) -> Tensor {
        let (b, t) = (context.batch, context.seqLen)
        let rec = state as? RecurrentState
        var q = p.project("q_proj", x, heads: heads, headDim: headDim)
        var k = p.project("k_proj", x, heads: kvHeads, headDim: headDim)
        let v = p.project("v_proj", x, heads: kvHeads, headDim: headDim)
        if options.rope {
            q = rope(q, positionOffset: context.positionOffset, theta: ropeTheta)
            k = rope(k, positionOffset: context.positionOffset, theta: ropeTheta)
        }
        let groups = heads / kvHeads
        let noDecay = Tensor(zeros: q.shape)
        let (out, final) = glaRecurrence(q: q, k: repeatHeads(k, groups: groups), v: repeatHeads(v, groups: groups),
                                         logw: noDecay, scale: 1, initialState: rec?.matrix)
        if let rec { rec.matrix = final; rec.position += t }
        let normed = groupNorm(out.reshaped([b * t, heads * headDim]), groups: heads,
                               weight: p["ln_x.weight"], bias: p["ln_x.bias"], eps: 1e-5)
        return linear(normed.reshaped([b, t, heads * headDim]), weight: p["o_proj.weight"])
    }

    public func makeState(batch: Int, capacity: Int) -> MixerState {
        RecurrentState(batch: batch, heads: heads, headDim: headDim, shiftWidth: nil)
    }
}
