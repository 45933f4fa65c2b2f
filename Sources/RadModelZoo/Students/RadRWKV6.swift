import Foundation
import RadOps

/// Options of RAD-RWKV6 (spec §2.2); each paper ablation (Table 8) is one of these switches.
public struct RWKV6Options: Equatable, Sendable {
    public enum Gate: String, Sendable { case full, lowRank = "low_rank", none }
    public var tokenshift = true
    public var gate: Gate = .full
    /// k ← k⊙(1−w). When false, a per-head GroupNorm normalises the output instead (the ablation).
    public var stateBalance = true
    public var rope = false
    /// nil = the HF defaults: 32 / 64 (C < 4096) or 64 / 128, and the RADLADS rule for the gate.
    public var tokenshiftRank: Int?
    public var decayRank: Int?
    public var gateRank: Int?
    public init() {}

    func ranks(hidden c: Int) -> (tokenshift: Int, decay: Int, gate: Int) {
        (tokenshiftRank ?? (c < 4096 ? 32 : 64), decayRank ?? (c < 4096 ? 64 : 128),
         gateRank ?? radladsLoRARank(hidden: c, exponent: 0.8, multiplier: 0.6))
    }
}

/// RAD-RWKV6 ("RADFinch") time-mixer: Finch data-dependent token shift, LoRA decay with log-decay
/// clamped at −5, state balancing, sigmoid gate, and the GLA recurrence (no bonus, no off-by-one).
public final class RadRWKV6Mixer: SequenceMixer {
    public let options: RWKV6Options
    public let p: ParameterTable
    let heads: Int, kvHeads: Int, headDim: Int, hidden: Int, ropeTheta: Float
    static let targets = ["r", "k", "v", "w", "g"]   // order of the token-shift LoRA outputs

    /// The parameters of layer `layer` of `layers`, with their initialisation (spec §1.1).
    public static func specs(config: TransformerConfig, options: RWKV6Options, layer: Int, layers: Int) -> [ParameterSpec] {
        let c = config.hiddenSize, d = config.numHeads * config.headDim
        let r01 = layers > 1 ? Double(layer) / Double(layers - 1) : 0
        let ranks = options.ranks(hidden: c)
        var s = teacherProjectionSpecs(config: config, layer: layer)
        if options.tokenshift {
            s.append(ParameterSpec("time_maa_x", [1, 1, c], .constant(1)))   // 1 − 0^(1 − l/L)
            for t in targets { s.append(ParameterSpec("time_maa_\(t)", [1, 1, c], .zeros)) }
            s.append(ParameterSpec("time_maa_w1", [c, 5 * ranks.tokenshift], .zeros))
            s.append(ParameterSpec("time_maa_w2", [5, ranks.tokenshift, c], .uniform(0.01)))
        }
        let exponent = 0.7 + 1.3 * r01
        s.append(ParameterSpec("time_decay", [1, 1, d], .formula { n in
            Float(-6 + 5 * pow(Double(n) / Double(max(d - 1, 1)), exponent))
        }))
        s.append(ParameterSpec("time_decay_w1", [c, ranks.decay], .zeros))
        s.append(ParameterSpec("time_decay_w2", [ranks.decay, d], .uniform(0.01)))
        switch options.gate {
        // The reference training code intends a zero gate (σ(0) = 0.5), as the HF modeling file does.
        case .full: s.append(ParameterSpec("gate.weight", [d, c], .zeros))
        case .lowRank:
            s.append(ParameterSpec("g1", [c, ranks.gate], .zeros))
            s.append(ParameterSpec("g2", [ranks.gate, d], .orthogonal(0.1)))
        case .none: break
        }
        if !options.stateBalance {
            s.append(ParameterSpec("ln_x.weight", [d], .constant(1)))
            s.append(ParameterSpec("ln_x.bias", [d], .zeros))
        }
        return s
    }

    public init(config: TransformerConfig, options: RWKV6Options, parameters: ParameterTable) {
        self.options = options
        p = parameters
        heads = config.numHeads; kvHeads = config.numKVHeads; headDim = config.headDim
        hidden = config.hiddenSize; ropeTheta = Float(config.ropeTheta)
    }

    public var parameters: [Tensor] { p.tensors }

    public func forward(_ x: Tensor, context: ForwardContext, state: MixerState?) -> Tensor {
        let (b, t) = (context.batch, context.seqLen)
        let rec = state as? RecurrentState
        let d = heads * headDim

        // Token shift (Finch ddlerp): every projection reads its own mix of x_t and x_{t-1}.
        var mixed = [String: Tensor]()
        if options.tokenshift {
            // One fused op (RadOps `tokenShiftMix`): the op-by-op chain kept ~26 [B, T, C] tape temporaries.
            let mixes = tokenShiftMix(x, previous: rec?.shift, maaX: p["time_maa_x"], w1: p["time_maa_w1"], w2: p["time_maa_w2"],
                                      maa: Self.targets.map { p["time_maa_\($0)"] })
            for (i, name) in Self.targets.enumerated() { mixed[name] = mixes[i] }
        } else {
            for name in Self.targets { mixed[name] = x }
        }
        rec?.rememberLastTokens(x)

        var r = p.project("q_proj", mixed["r"]!, heads: heads, headDim: headDim)
        var k = p.project("k_proj", mixed["k"]!, heads: kvHeads, headDim: headDim)
        let v = p.project("v_proj", mixed["v"]!, heads: kvHeads, headDim: headDim)
        let xw = mixed["w"]!.reshaped([b * t, hidden])
        let decayPre = matmul(tanh(matmul(xw, p["time_decay_w1"])), p["time_decay_w2"]).reshaped([b, t, d])
        let gate: Tensor?
        switch options.gate {
        case .full: gate = sigmoid(linear(mixed["g"]!, weight: p["gate.weight"]))
        case .lowRank:
            gate = matmul(sigmoid(matmul(mixed["g"]!.reshaped([b * t, hidden]), p["g1"])), p["g2"]).reshaped([b, t, d])
        case .none: gate = nil
        }
        if options.rope {
            r = rope(r, positionOffset: context.positionOffset, theta: ropeTheta)
            k = rope(k, positionOffset: context.positionOffset, theta: ropeTheta)
        }
        let groups = heads / kvHeads
        let vFull = repeatHeads(v, groups: groups)
        // logw = max(−exp(decay), −5) and, with state balancing, k ⊙ (1 − w): one fused op (RadOps `rwkv6Decay`).
        let (logw, kFull) = rwkv6Decay(pre: decayPre, bias: p["time_decay"], k: repeatHeads(k, groups: groups),
                                       balance: options.stateBalance)
        let (out, final) = glaRecurrence(q: r, k: kFull, v: vFull, logw: logw,
                                         scale: 1 / Float(headDim).squareRoot(), initialState: rec?.matrix)
        if let rec { rec.matrix = final; rec.position += t }
        var y = out.reshaped([b * t, d])
        if !options.stateBalance {
            y = groupNorm(y, groups: heads, weight: p["ln_x.weight"], bias: p["ln_x.bias"], eps: Float(headDim) * 1e-5)
        }
        var gated = y.reshaped([b, t, d])
        if let gate { gated = mul(gated, gate) }
        return linear(gated, weight: p["o_proj.weight"])
    }

    public func makeState(batch: Int, capacity: Int) -> MixerState {
        RecurrentState(batch: batch, heads: heads, headDim: headDim, shiftWidth: options.tokenshift ? hidden : nil)
    }
}
