import Foundation
import RadOps

/// rad-rwkv7 ("RADGoose", spec §2.3): its options, parameters, mixer and HF identity.
public struct RadRWKV7Architecture: StudentArchitecture {
    public enum Gate: String, Sendable { case lowRank = "low_rank", full }

    public static let name = "rad-rwkv7"
    public static let summary = "RAD-RWKV7 (RADGoose/QRWKV7): RWKV-7 generalised delta rule without tokenshift or bonus"
    public static let hfModelType = "rwkv7qwen2"
    public static let hfArchitecture = "RWKV7Qwen2ForCausalLM"
    public static let isPaperStudent = true
    public static let recurrenceKernel = "dplr"
    /// The decay (RAD-RWKV7 has no token shift).
    public static let decayAndTokenshiftParameters: Set<String> = ["w0", "w1", "w2"]

    /// Defaults follow the paper's final public config: RoPE, a low-rank gate and state balancing.
    public static let optionTable: [ArchitectureOption] = [
        .bool("rope", true, "apply the teacher's RoPE to receptance and key"),
        .bool("state_balance", true, "state balancing; false = per-head GroupNorm on the output"),
        .choice("gate", ["low_rank", "full"], "output gate: low-rank LoRA or full-rank linear"),
        .loraRank("decay_lora_rank", "decay"),
        .loraRank("iclr_lora_rank", "in-context learning rate a"),
        .loraRank("value_residual_lora_rank", "value residual mix"),
        .loraRank("gate_lora_rank", "gate (only with gate: low_rank)"),
    ]

    public var rope: Bool
    /// true: the paper's state balancing (κ = k/‖k‖, k⊙(1−w+a), output ·N^-0.5).
    /// false: the standard RWKV-7 `k_k`/`k_a` formula with a per-head GroupNorm on the output.
    public var stateBalance: Bool
    public var gate: Gate
    /// nil = the RADLADS rank rule for the hidden size.
    public var decayRank: Int?
    public var iclrRank: Int?
    public var valueResidualRank: Int?
    public var gateRank: Int?

    public init(options: [String: OptionValue] = [:]) throws {
        var r = OptionReader(options, architecture: Self.name, table: Self.optionTable)
        rope = try r.bool("rope")
        stateBalance = try r.bool("state_balance")
        gate = try r.choice("gate")
        decayRank = try r.rank("decay_lora_rank")
        iclrRank = try r.rank("iclr_lora_rank")
        valueResidualRank = try r.rank("value_residual_lora_rank")
        gateRank = try r.rank("gate_lora_rank")
        try r.finish()
    }

    func ranks(hidden c: Int) -> (decay: Int, iclr: Int, value: Int, gate: Int) {
        (decayRank ?? radladsLoRARank(hidden: c, exponent: 0.5, multiplier: 1.8),
         iclrRank ?? radladsLoRARank(hidden: c, exponent: 0.5, multiplier: 1.8),
         valueResidualRank ?? radladsLoRARank(hidden: c, exponent: 0.5, multiplier: 1.3),
         gateRank ?? radladsLoRARank(hidden: c, exponent: 0.8, multiplier: 0.6))
    }

    public var options: [String: OptionValue] {
        var o: [String: OptionValue] = ["rope": .bool(rope), "state_balance": .bool(stateBalance), "gate": .string(gate.rawValue)]
        if let r = decayRank { o["decay_lora_rank"] = .int(r) }
        if let r = iclrRank { o["iclr_lora_rank"] = .int(r) }
        if let r = valueResidualRank { o["value_residual_lora_rank"] = .int(r) }
        if let r = gateRank { o["gate_lora_rank"] = .int(r) }
        return o
    }

    // MARK: HF config.json (the RADLADS release's rwkv7qwen2 fields)

    public func hfConfigFields(config: TransformerConfig) -> [String: OptionValue] {
        let ranks = ranks(hidden: config.hiddenSize)
        return [
            "use_tokenshift": .bool(false),
            "gate_rank_type": .int(gate == .full ? 1 : 2),
            "balance_state": .bool(stateBalance),
            "groupnorm_att": .bool(!stateBalance),
            "use_rope": .bool(rope),
            "lora_rank_decay": .int(ranks.decay),
            "lora_rank_iclr": .int(ranks.iclr),
            "lora_rank_value_residual_mix": .int(ranks.value),
            "lora_rank_gate": .int(ranks.gate),
        ]
    }

    public static func options(fromHF hf: HFStudentConfig) throws -> [String: OptionValue] {
        var o: [String: OptionValue] = [
            "rope": .bool(hf.bool("use_rope") ?? false),
            "state_balance": .bool(hf.bool("balance_state") ?? !(hf.bool("groupnorm_att") ?? false)),
            "gate": .string((hf.int("gate_rank_type") ?? 2) == 1 ? "full" : "low_rank")]
        for (option, tensor) in [("decay_lora_rank", "w1"), ("iclr_lora_rank", "a1"), ("value_residual_lora_rank", "v1"),
                                 ("gate_lora_rank", "g1")] {
            if let r = hf.columns(tensor) { o[option] = .int(r) }
        }
        return o
    }

    // MARK: Parameters (spec §1.1)

    public func specs(config: TransformerConfig, layer: Int, layers: Int) -> [ParameterSpec] {
        let c = config.hiddenSize, d = config.numHeads * config.headDim
        let r01 = layers > 1 ? Double(layer) / Double(layers - 1) : 0
        let ranks = ranks(hidden: c)
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
        switch gate {
        case .lowRank:
            s.append(ParameterSpec("g1", [c, ranks.gate], .zeros))
            s.append(ParameterSpec("g2", [ranks.gate, d], .orthogonal(0.1)))
        case .full:
            s.append(ParameterSpec("gate.weight", [d, c], .zeros))
        }
        s.append(ParameterSpec("k_k", [1, 1, d], .constant(0.85)))
        s.append(ParameterSpec("k_a", [1, 1, d], .constant(1)))
        s.append(ParameterSpec("r_k", [config.numHeads, config.headDim], .zeros))
        if !stateBalance {
            s.append(ParameterSpec("ln_x.weight", [d], .constant(1)))
            s.append(ParameterSpec("ln_x.bias", [d], .zeros))
        }
        return s
    }

    public func makeMixer(config: TransformerConfig, layer: Int, parameters: ParameterTable) -> SequenceMixer {
        RadRWKV7Mixer(config: config, options: self, layer: layer, parameters: parameters)
    }
}

/// The RAD-RWKV7 time-mixer: generalised delta rule with data-dependent decay and in-context learning
/// rate, value residual to layer 0, low-rank gate, RoPE, no token shift and no bonus.
public final class RadRWKV7Mixer: SequenceMixer, ParameterTableOwner {
    public let options: RadRWKV7Architecture
    public let table: ParameterTable
    public let layer: Int
    /// The value residual: layer 0's values [B, T, H·N], which every later layer of the pass reads
    /// (`ForwardContext.carried`).
    static let firstLayerValues = "rad-rwkv7.v_first"
    let heads: Int, kvHeads: Int, headDim: Int, hidden: Int, ropeTheta: Float
    let r: HeadProjection, k: HeadProjection, v: HeadProjection, o: Tensor
    let w0: Tensor, w1: Tensor, w2: Tensor, a0: Tensor, a1: Tensor, a2: Tensor, v0: Tensor, v1: Tensor, v2: Tensor
    let gateWeight: Tensor?, gateLoRA: (Tensor, Tensor)?
    let kk: Tensor, ka: Tensor
    let groupNormAffine: (weight: Tensor, bias: Tensor)?

    public init(config: TransformerConfig, options: RadRWKV7Architecture, layer: Int, parameters p: ParameterTable) {
        self.options = options
        self.layer = layer
        table = p
        heads = config.numHeads; kvHeads = config.numKVHeads; headDim = config.headDim
        hidden = config.hiddenSize; ropeTheta = Float(config.ropeTheta)
        r = p.projection("q_proj", heads: heads, headDim: headDim)
        k = p.projection("k_proj", heads: kvHeads, headDim: headDim)
        v = p.projection("v_proj", heads: kvHeads, headDim: headDim)
        o = p["o_proj.weight"]
        w0 = p["w0"]; w1 = p["w1"]; w2 = p["w2"]; a0 = p["a0"]; a1 = p["a1"]; a2 = p["a2"]
        v0 = p["v0"]; v1 = p["v1"]; v2 = p["v2"]
        gateWeight = options.gate == .full ? p["gate.weight"] : nil
        gateLoRA = options.gate == .lowRank ? (p["g1"], p["g2"]) : nil
        kk = p["k_k"]; ka = p["k_a"]
        groupNormAffine = options.stateBalance ? nil : (p["ln_x.weight"], p["ln_x.bias"])
    }

    /// `r_k` (RWKV-7's bonus) is stored but unused by RAD-RWKV7, so it is not trained; v0/v1/v2 of
    /// layer 0 likewise.
    public var parameters: [Tensor] {
        table.order.filter { $0 != "r_k" && !(layer == 0 && ["v0", "v1", "v2"].contains($0)) }.map { table[$0] }
    }

    public func forward(_ x: Tensor, context: ForwardContext, state: MixerState?) -> Tensor {
        let (b, t) = (context.batch, context.seqLen)
        let d = heads * headDim
        let rec = state as? RecurrentState
        let rows = x.reshaped([b * t, hidden])

        var r = self.r(x)
        var k = self.k(x)
        let vKV = self.v(x)
        // The decay, iclr and value-residual LoRAs enter the fused ops as their two factors: the ops form
        // the [B·T, D] products themselves, so those never stay on the tape.
        let decay = RWKV7LowRank(tanh(matmul(rows, w1)), w2)
        let iclr = RWKV7LowRank(matmul(rows, a1), a2)
        let g: Tensor
        if let lora = gateLoRA {
            g = matmul(sigmoid(matmul(rows, lora.0)), lora.1).reshaped([b, t, d])
        } else {
            g = sigmoid(linear(x, weight: gateWeight!))
        }
        if options.rope {
            r = rope(r, positionOffset: context.positionOffset, theta: ropeTheta)
            k = rope(k, positionOffset: context.positionOffset, theta: ropeTheta)
        }
        let groups = heads / kvHeads
        // log w = −exp(−0.5 − softplus(−dd)) = −e^{−1/2}·σ(dd), a = σ(·), the GQA repeat, κ and the key
        // formula in one fused op (RadOps `rwkv7Keys`): the op-by-op chain kept ~14 [B, T, D] tape temporaries.
        let keys = rwkv7Keys(decay: decay, w0: w0, iclr: iclr, a0: a0, k: k, groups: groups,
                             standard: options.stateBalance ? nil : (kk, ka))
        let v: Tensor
        if layer == 0 || context.carried[Self.firstLayerValues] == nil {
            v = repeatHeads(vKV, groups: groups).reshaped([b, t, d])
            context.carried[Self.firstLayerValues] = v
        } else {
            // v + (v_first − v) ⊙ σ(v0 + (x·v1)·v2), the repeat included (RadOps `rwkv7ValueResidual`).
            v = rwkv7ValueResidual(v: vKV, groups: groups, first: context.carried[Self.firstLayerValues]!,
                                   lora: RWKV7LowRank(matmul(rows, v1), v2), v0: v0)
        }
        let shape4 = [b, t, heads, headDim]
        let (out, final) = dplrRecurrence(r: r, logw: keys.logw, k: keys.k, v: v.reshaped(shape4),
                                          alpha: keys.alpha, beta: keys.beta, initialState: rec?.matrix)
        if let rec { rec.matrix = final; rec.position += t }
        let gated: Tensor
        if let affine = groupNormAffine {
            let y = groupNorm(out.reshaped([b * t, d]), groups: heads, weight: affine.weight, bias: affine.bias,
                              eps: Float(headDim) * 1e-5)
            gated = mul(y.reshaped([b, t, d]), g)
        } else {   // y · N^-0.5 ⊙ g in one op (RadOps `rwkv7GatedOutput`)
            gated = rwkv7GatedOutput(out, gate: g, scale: 1 / Float(headDim).squareRoot())
        }
        return linear(gated, weight: o)
    }

    public func makeState(batch: Int, capacity: Int) -> MixerState {
        RecurrentState(batch: batch, heads: heads, headDim: headDim, shiftWidth: nil)
    }
}
