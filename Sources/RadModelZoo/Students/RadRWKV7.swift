import Foundation
import RadOps

/// Options of RAD-RWKV7 (spec §2.3).
public struct RWKV7Options: Equatable, Sendable {
    public enum Gate: String, Sendable { case lowRank = "low_rank", full }
    public var rope = true
    /// true: the paper's state balancing (κ = k/‖k‖, k⊙(1−w+a), output ·N^-0.5).
    /// false: the standard RWKV-7 `k_k`/`k_a` formula with a per-head GroupNorm on the output.
    public var stateBalance = true
    public var gate: Gate = .lowRank
    /// nil = the RADLADS rank rule for the hidden size.
    public var decayRank: Int?
    public var iclrRank: Int?
    public var valueResidualRank: Int?
    public var gateRank: Int?
    public init() {}

    func ranks(hidden c: Int) -> (decay: Int, iclr: Int, value: Int, gate: Int) {
        (decayRank ?? radladsLoRARank(hidden: c, exponent: 0.5, multiplier: 1.8),
         iclrRank ?? radladsLoRARank(hidden: c, exponent: 0.5, multiplier: 1.8),
         valueResidualRank ?? radladsLoRARank(hidden: c, exponent: 0.5, multiplier: 1.3),
         gateRank ?? radladsLoRARank(hidden: c, exponent: 0.8, multiplier: 0.6))
    }
}

/// RAD-RWKV7 ("RADGoose") time-mixer: generalised delta rule with data-dependent decay and in-context
/// learning rate, value residual to layer 0, low-rank gate, RoPE, no token shift and no bonus.
public final class RadRWKV7Mixer: SequenceMixer {
    public let options: RWKV7Options
    public let p: ParameterTable
    public let layer: Int
    let heads: Int, kvHeads: Int, headDim: Int, hidden: Int, ropeTheta: Float

    public static func specs(config: TransformerConfig, options: RWKV7Options, layer: Int, layers: Int) -> [ParameterSpec] {
        let c = config.hiddenSize, d = config.numHeads * config.headDim
        let r01 = layers > 1 ? Double(layer) / Double(layers - 1) : 0
        let ranks = options.ranks(hidden: c)
        var s = teacherProjectionSpecs(config: config, layer: layer)
        let exponent = 0.85 + r01.squareRoot()
        s.append(ParameterSpec("w0", [1, 1, d], .formula { n in
            Float(-7 + 5 * pow(Double(n) / Double(max(d - 1, 1)), exponent) + 0.5)
        }))
        s.append(ParameterSpec("w1", [c, ranks.decay], .zeros))
        s.append(ParameterSpec("w2", [ranks.decay, d], .orthogonal(0.1)))
        s.append(ParameterSpec("a0", [1, 1, d], .zeros))
        s.append(ParameterSpec("a1", [c, ranks.iclr], .zeros))
        s.append(ParameterSpec("a2", [ranks.iclr, d], .orthogonal(0.1)))
        // Layer 0 supplies v_first and never uses its own value-residual parameters; they are kept so
        // every layer has the same tensor names (as released checkpoints do).
        s.append(ParameterSpec("v0", [1, 1, c], .constant(1)))
        s.append(ParameterSpec("v1", [c, ranks.value], .zeros))
        s.append(ParameterSpec("v2", [ranks.value, c], .orthogonal(0.1)))
        switch options.gate {
        case .lowRank:
            s.append(ParameterSpec("g1", [c, ranks.gate], .zeros))
            s.append(ParameterSpec("g2", [ranks.gate, d], .orthogonal(0.1)))
        case .full:
            s.append(ParameterSpec("gate.weight", [d, c], .zeros))
        }
        s.append(ParameterSpec("k_k", [1, 1, d], .constant(0.85)))
        s.append(ParameterSpec("k_a", [1, 1, d], .constant(1)))
        s.append(ParameterSpec("r_k", [config.numHeads, config.headDim], .zeros))
        if !options.stateBalance {
            s.append(ParameterSpec("ln_x.weight", [d], .constant(1)))
            s.append(ParameterSpec("ln_x.bias", [d], .zeros))
        }
        return s
    }

    public init(config: TransformerConfig, options: RWKV7Options, layer: Int, parameters: ParameterTable) {
        self.options = options
        self.layer = layer
        p = parameters
        heads = config.numHeads; kvHeads = config.numKVHeads; headDim = config.headDim
        hidden = config.hiddenSize; ropeTheta = Float(config.ropeTheta)
    }

    /// `r_k` (RWKV-7's bonus) is stored but unused by RAD-RWKV7, so it is not trained; v0/v1/v2 of
    /// layer 0 likewise.
    public var parameters: [Tensor] {
        p.order.filter { $0 != "r_k" && !(layer == 0 && ["v0", "v1", "v2"].contains($0)) }.map { p[$0] }
    }

    public func forward(_ x: Tensor, context: ForwardContext, state: MixerState?) -> Tensor {
        let (b, t) = (context.batch, context.seqLen)
        let d = heads * headDim
        let rec = state as? RecurrentState
        let rows = x.reshaped([b * t, hidden])

        var r = p.project("q_proj", x, heads: heads, headDim: headDim)
        var k = p.project("k_proj", x, heads: kvHeads, headDim: headDim)
        let vKV = p.project("v_proj", x, heads: kvHeads, headDim: headDim)
        // The decay, iclr and value-residual LoRAs enter the fused ops as their two factors: the ops form
        // the [B·T, D] products themselves, so those never stay on the tape.
        let decay = RWKV7LowRank(tanh(matmul(rows, p["w1"])), p["w2"])
        let iclr = RWKV7LowRank(matmul(rows, p["a1"]), p["a2"])
        let g: Tensor
        switch options.gate {
        case .lowRank: g = matmul(sigmoid(matmul(rows, p["g1"])), p["g2"]).reshaped([b, t, d])
        case .full: g = sigmoid(linear(x, weight: p["gate.weight"]))
        }
        if options.rope {
            r = rope(r, positionOffset: context.positionOffset, theta: ropeTheta)
            k = rope(k, positionOffset: context.positionOffset, theta: ropeTheta)
        }
        let groups = heads / kvHeads
        // log w = −exp(−0.5 − softplus(−dd)) = −e^{−1/2}·σ(dd), a = σ(·), the GQA repeat, κ and the key
        // formula in one fused op (RadOps `rwkv7Keys`): the op-by-op chain kept ~14 [B, T, D] tape temporaries.
        let keys = rwkv7Keys(decay: decay, w0: p["w0"], iclr: iclr, a0: p["a0"], k: k, groups: groups,
                             standard: options.stateBalance ? nil : (p["k_k"], p["k_a"]))
        let v: Tensor
        if layer == 0 || context.firstLayerValues == nil {
            v = repeatHeads(vKV, groups: groups).reshaped([b, t, d])
            context.firstLayerValues = v
        } else {
            // v + (v_first − v) ⊙ σ(v0 + (x·v1)·v2), the repeat included (RadOps `rwkv7ValueResidual`).
            v = rwkv7ValueResidual(v: vKV, groups: groups, first: context.firstLayerValues!,
                                   lora: RWKV7LowRank(matmul(rows, p["v1"]), p["v2"]), v0: p["v0"])
        }
        let shape4 = [b, t, heads, headDim]
        let (out, final) = dplrRecurrence(r: r, logw: keys.logw, k: keys.k, v: v.reshaped(shape4),
                                          alpha: keys.alpha, beta: keys.beta, initialState: rec?.matrix)
        if let rec { rec.matrix = final; rec.position += t }
        let gated: Tensor
        if options.stateBalance {   // y · N^-0.5 ⊙ g in one op (RadOps `rwkv7GatedOutput`)
            gated = rwkv7GatedOutput(out, gate: g, scale: 1 / Float(headDim).squareRoot())
        } else {
            let y = groupNorm(out.reshaped([b * t, d]), groups: heads, weight: p["ln_x.weight"], bias: p["ln_x.bias"],
                              eps: Float(headDim) * 1e-5)
            gated = mul(y.reshaped([b, t, d]), g)
        }
        return linear(gated, weight: p["o_proj.weight"])
    }

    public func makeState(batch: Int, capacity: Int) -> MixerState {
        RecurrentState(batch: batch, heads: heads, headDim: headDim, shiftWidth: nil)
    }
}
