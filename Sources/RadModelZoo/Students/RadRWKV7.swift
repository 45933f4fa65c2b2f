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
        let dd = add(matmul(tanh(matmul(rows, p["w1"])), p["w2"]).reshaped([b, t, d]), p["w0"])
        let a = sigmoid(add(matmul(matmul(rows, p["a1"]), p["a2"]).reshaped([b, t, d]), p["a0"]))
        let g: Tensor
        switch options.gate {
        case .lowRank: g = matmul(sigmoid(matmul(rows, p["g1"])), p["g2"]).reshaped([b, t, d])
        case .full: g = sigmoid(linear(x, weight: p["gate.weight"]))
        }
        // log w = −exp(−0.5 − softplus(−dd)) = −e^{−1/2}·σ(dd), so w ∈ (e^{−e^{−1/2}}, 1).
        let logw = scale(sigmoid(dd), -Float(exp(-0.5)))
        if options.rope {
            r = rope(r, positionOffset: context.positionOffset, theta: ropeTheta)
            k = rope(k, positionOffset: context.positionOffset, theta: ropeTheta)
        }
        let groups = heads / kvHeads
        var kFull = repeatHeads(k, groups: groups).reshaped([b, t, d])
        var v = repeatHeads(vKV, groups: groups).reshaped([b, t, d])
        let kappa: Tensor
        if options.stateBalance {
            kappa = normalizePerHead(kFull, headDim: headDim)
            kFull = mul(kFull, add(addScalar(neg(exp(logw)), 1), a))            // k ⊙ (1 − w + a)
        } else {
            kappa = normalizePerHead(mul(kFull, p["k_k"]), headDim: headDim)
            kFull = mul(kFull, addScalar(mul(addScalar(a, -1), p["k_a"]), 1))   // k ⊙ (1 + (a − 1)⊙k_a)
        }
        if layer == 0 || context.firstLayerValues == nil {
            context.firstLayerValues = v
        } else {
            let nu = sigmoid(add(matmul(matmul(rows, p["v1"]), p["v2"]).reshaped([b, t, d]), p["v0"]))
            v = add(v, mul(sub(context.firstLayerValues!, v), nu))
        }
        let shape4 = [b, t, heads, headDim]
        let (out, final) = dplrRecurrence(r: r, logw: logw.reshaped(shape4), k: kFull.reshaped(shape4),
                                          v: v.reshaped(shape4), alpha: neg(kappa).reshaped(shape4),
                                          beta: mul(kappa, a).reshaped(shape4), initialState: rec?.matrix)
        if let rec { rec.matrix = final; rec.position += t }
        var y = out.reshaped([b * t, d])
        if options.stateBalance {
            y = scale(y, 1 / Float(headDim).squareRoot())
        } else {
            y = groupNorm(y, groups: heads, weight: p["ln_x.weight"], bias: p["ln_x.bias"], eps: Float(headDim) * 1e-5)
        }
        return linear(mul(y.reshaped([b, t, d]), g), weight: p["o_proj.weight"])
    }

    public func makeState(batch: Int, capacity: Int) -> MixerState {
        RecurrentState(batch: batch, heads: heads, headDim: headDim, shiftWidth: nil)
    }
}
