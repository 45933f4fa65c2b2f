import Foundation
import RadOps

/// rad-rwkv6 ("RADFinch", spec §2.2): its options, parameters, mixer and HF identity. Each paper
/// ablation (Table 8) is one of the options.
public struct RadRWKV6Architecture: StudentArchitecture {
    public enum Gate: String, Sendable { case full, lowRank = "low_rank", none }

    public static let name = "rad-rwkv6"
    public static let summary = "RAD-RWKV6 (RADFinch/QRWKV6): GLA-style RWKV-6 time mix with sigmoid gate and state balancing"
    public static let hfModelType = "rwkv6qwen2"
    public static let hfArchitecture = "RWKV6Qwen2ForCausalLM"
    public static let isPaperStudent = true
    public static let recurrenceKernel = "gla"
    /// As the reference code's stage 31: the decay and the token shift.
    public static let decayAndTokenshiftParameters: Set<String> = [
        "time_maa_w", "time_maa_w1", "time_maa_w2", "time_decay", "time_decay_w1", "time_decay_w2"]

    /// Defaults follow the paper's final public config: tokenshift, a full-rank gate, state balancing, no RoPE.
    public static let optionTable: [ArchitectureOption] = [
        .bool("tokenshift", true, "Finch ddlerp tokenshift on the time-mix inputs"),
        .choice("gate", ["full", "low_rank", "none"], "output gate: full-rank linear, low-rank LoRA, or none"),
        .bool("state_balance", true, "k <- k*(1-w) state balancing; false = per-head GroupNorm on the output"),
        .bool("rope", false, "apply the teacher's RoPE to receptance and key"),
        .loraRank("decay_lora_rank", "data-dependent decay"),
        .loraRank("tokenshift_lora_rank", "tokenshift mix"),
        .loraRank("gate_lora_rank", "gate (only with gate: low_rank)"),
    ]

    public var tokenshift: Bool
    public var gate: Gate
    /// k ← k⊙(1−w). When false, a per-head GroupNorm normalises the output instead (the ablation).
    public var stateBalance: Bool
    public var rope: Bool
    /// nil = the HF defaults: 32 / 64 (C < 4096) or 64 / 128, and the RADLADS rule for the gate.
    public var tokenshiftRank: Int?
    public var decayRank: Int?
    public var gateRank: Int?

    public init(options: [String: OptionValue] = [:]) throws {
        var r = OptionReader(options, architecture: Self.name, table: Self.optionTable)
        tokenshift = try r.bool("tokenshift")
        gate = try r.choice("gate")
        stateBalance = try r.bool("state_balance")
        rope = try r.bool("rope")
        tokenshiftRank = try r.rank("tokenshift_lora_rank")
        decayRank = try r.rank("decay_lora_rank")
        gateRank = try r.rank("gate_lora_rank")
        try r.finish()
    }

    func ranks(hidden c: Int) -> (tokenshift: Int, decay: Int, gate: Int) {
        (tokenshiftRank ?? (c < 4096 ? 32 : 64), decayRank ?? (c < 4096 ? 64 : 128),
         gateRank ?? radladsLoRARank(hidden: c, exponent: 0.8, multiplier: 0.6))
    }

    public var options: [String: OptionValue] {
        var o: [String: OptionValue] = ["tokenshift": .bool(tokenshift), "gate": .string(gate.rawValue),
                                        "state_balance": .bool(stateBalance), "rope": .bool(rope)]
        if let r = tokenshiftRank { o["tokenshift_lora_rank"] = .int(r) }
        if let r = decayRank { o["decay_lora_rank"] = .int(r) }
        if let r = gateRank { o["gate_lora_rank"] = .int(r) }
        return o
    }

    // MARK: HF config.json (the RADLADS release's rwkv6qwen2 fields)

    public func hfConfigFields(config: TransformerConfig) -> [String: OptionValue] {
        let ranks = ranks(hidden: config.hiddenSize)
        var f: [String: OptionValue] = [
            "use_tokenshift": .bool(tokenshift),
            "gate_rank_type": .int(Self.gateRankType[gate]!),
            "balance_state": .bool(stateBalance),
            "groupnorm_att": .bool(!stateBalance),
            "use_rope": .bool(rope),
            "lora_rank_decay": .int(ranks.decay),
            "lora_rank_tokenshift": .int(ranks.tokenshift),
        ]
        if gate == .lowRank { f["lora_rank_gate"] = .int(ranks.gate) }
        return f
    }

    /// `gate_rank_type` of the HF config: 1 full, 2 low rank, 0 none.
    static let gateRankType: [Gate: Int] = [.full: 1, .lowRank: 2, .none: 0]

    public static func options(fromHF hf: HFStudentConfig) throws -> [String: OptionValue] {
        let type = hf.int("gate_rank_type") ?? 1
        guard let gate = gateRankType.first(where: { $0.value == type })?.key else {
            throw StudentError("gate_rank_type \(type) is not 0, 1 or 2")
        }
        var o: [String: OptionValue] = [
            "tokenshift": .bool(hf.bool("use_tokenshift") ?? true), "gate": .string(gate.rawValue),
            "state_balance": .bool(hf.bool("balance_state") ?? !(hf.bool("groupnorm_att") ?? false)),
            "rope": .bool(hf.bool("use_rope") ?? false)]
        if let s = hf.layerZeroShape("time_maa_w1"), s.count == 2 { o["tokenshift_lora_rank"] = .int(s[1] / 5) }
        if let r = hf.columns("time_decay_w1") { o["decay_lora_rank"] = .int(r) }
        if gate == .lowRank, let r = hf.columns("g1") { o["gate_lora_rank"] = .int(r) }
        return o
    }

    // MARK: Parameters (spec §1.1)

    public func specs(config: TransformerConfig, layer: Int, layers: Int) -> [ParameterSpec] {
        let c = config.hiddenSize, d = config.numHeads * config.headDim
        let r01 = layers > 1 ? Double(layer) / Double(layers - 1) : 0
        let ranks = ranks(hidden: c)
        var s = teacherProjectionSpecs(config: config, layer: layer)
        if tokenshift {
            s.append(ParameterSpec("time_maa_x", [1, 1, c], .constant(1)))   // 1 − 0^(1 − l/L)
            for t in RadRWKV6Mixer.targets { s.append(ParameterSpec("time_maa_\(t)", [1, 1, c], .zeros)) }
            s.append(ParameterSpec("time_maa_w1", [c, 5 * ranks.tokenshift], .zeros))
            s.append(ParameterSpec("time_maa_w2", [5, ranks.tokenshift, c], .uniform(0.01)))
        }
        let exponent = 0.7 + 1.3 * r01
        s.append(ParameterSpec("time_decay", [1, 1, d], .formula { n in
            Float(-6 + 5 * pow(Double(n) / Double(max(d - 1, 1)), exponent))
        }))
        s.append(ParameterSpec("time_decay_w1", [c, ranks.decay], .zeros))
        s.append(ParameterSpec("time_decay_w2", [ranks.decay, d], .uniform(0.01)))
        switch gate {
        // The reference training code intends a zero gate (σ(0) = 0.5), as the HF modeling file does.
        case .full: s.append(ParameterSpec("gate.weight", [d, c], .zeros))
        case .lowRank:
            s.append(ParameterSpec("g1", [c, ranks.gate], .zeros))
            s.append(ParameterSpec("g2", [ranks.gate, d], .orthogonal(0.1)))
        case .none: break
        }
        if !stateBalance {
            s.append(ParameterSpec("ln_x.weight", [d], .constant(1)))
            s.append(ParameterSpec("ln_x.bias", [d], .zeros))
        }
        return s
    }

    public func makeMixer(config: TransformerConfig, layer: Int, parameters: ParameterTable) -> SequenceMixer {
        RadRWKV6Mixer(config: config, options: self, parameters: parameters)
    }
}

/// The RAD-RWKV6 time-mixer: Finch data-dependent token shift, LoRA decay with log-decay clamped at −5,
/// state balancing, sigmoid gate, and the GLA recurrence (no bonus, no off-by-one).
public final class RadRWKV6Mixer: SequenceMixer, ParameterTableOwner {
    public let options: RadRWKV6Architecture
    public let table: ParameterTable
    /// Order of the token-shift LoRA outputs.
    static let targets = ["r", "k", "v", "w", "g"]
    let heads: Int, kvHeads: Int, headDim: Int, hidden: Int, ropeTheta: Float
    let r: HeadProjection, k: HeadProjection, v: HeadProjection, o: Tensor
    let tokenShift: (x: Tensor, w1: Tensor, w2: Tensor, mix: [Tensor])?
    let decayBias: Tensor, decayW1: Tensor, decayW2: Tensor
    let gateWeight: Tensor?, gateLoRA: (Tensor, Tensor)?
    let groupNormAffine: (weight: Tensor, bias: Tensor)?

    public init(config: TransformerConfig, options: RadRWKV6Architecture, parameters p: ParameterTable) {
        self.options = options
        table = p
        heads = config.numHeads; kvHeads = config.numKVHeads; headDim = config.headDim
        hidden = config.hiddenSize; ropeTheta = Float(config.ropeTheta)
        r = p.projection("q_proj", heads: heads, headDim: headDim)
        k = p.projection("k_proj", heads: kvHeads, headDim: headDim)
        v = p.projection("v_proj", heads: kvHeads, headDim: headDim)
        o = p["o_proj.weight"]
        tokenShift = options.tokenshift
            ? (p["time_maa_x"], p["time_maa_w1"], p["time_maa_w2"], Self.targets.map { p["time_maa_\($0)"] }) : nil
        decayBias = p["time_decay"]; decayW1 = p["time_decay_w1"]; decayW2 = p["time_decay_w2"]
        gateWeight = options.gate == .full ? p["gate.weight"] : nil
        gateLoRA = options.gate == .lowRank ? (p["g1"], p["g2"]) : nil
        groupNormAffine = options.stateBalance ? nil : (p["ln_x.weight"], p["ln_x.bias"])
    }

    public var parameters: [Tensor] { table.tensors }

    public func forward(_ x: Tensor, context: ForwardContext, state: MixerState?) -> Tensor {
        let (b, t) = (context.batch, context.seqLen)
        let rec = state as? RecurrentState
        let d = heads * headDim

        // Token shift (Finch ddlerp): every projection reads its own mix of x_t and x_{t-1}, in the
        // order of `targets`. One fused op (RadOps `tokenShiftMix`): the op-by-op chain kept ~26
        // [B, T, C] tape temporaries.
        let mixed = tokenShift.map {
            tokenShiftMix(x, previous: rec?.shift, maaX: $0.x, w1: $0.w1, w2: $0.w2, maa: $0.mix)
        } ?? Array(repeating: x, count: Self.targets.count)
        rec?.rememberLastTokens(x)

        var r = self.r(mixed[0])
        var k = self.k(mixed[1])
        let v = self.v(mixed[2])
        let xw = mixed[3].reshaped([b * t, hidden])
        let decayPre = matmul(tanh(matmul(xw, decayW1)), decayW2).reshaped([b, t, d])
        var gate: Tensor? = nil
        if let gateWeight { gate = sigmoid(linear(mixed[4], weight: gateWeight)) }
        if let lora = gateLoRA {
            gate = matmul(sigmoid(matmul(mixed[4].reshaped([b * t, hidden]), lora.0)), lora.1).reshaped([b, t, d])
        }
        if options.rope {
            r = rope(r, positionOffset: context.positionOffset, theta: ropeTheta)
            k = rope(k, positionOffset: context.positionOffset, theta: ropeTheta)
        }
        let groups = heads / kvHeads
        let vFull = repeatHeads(v, groups: groups)
        // logw = max(−exp(decay), −5) and, with state balancing, k ⊙ (1 − w): one fused op (RadOps `rwkv6Decay`).
        let (logw, kFull) = rwkv6Decay(pre: decayPre, bias: decayBias, k: repeatHeads(k, groups: groups),
                                       balance: options.stateBalance)
        let (out, final) = glaRecurrence(q: r, k: kFull, v: vFull, logw: logw,
                                         scale: 1 / Float(headDim).squareRoot(), initialState: rec?.matrix)
        if let rec { rec.matrix = final; rec.position += t }
        var y = out.reshaped([b * t, d])
        if let affine = groupNormAffine {
            y = groupNorm(y, groups: heads, weight: affine.weight, bias: affine.bias, eps: Float(headDim) * 1e-5)
        }
        var gated = y.reshaped([b, t, d])
        if let gate { gated = mul(gated, gate) }
        return linear(gated, weight: o)
    }

    public func makeState(batch: Int, capacity: Int) -> MixerState {
        RecurrentState(batch: batch, heads: heads, headDim: headDim, shiftWidth: options.tokenshift ? hidden : nil)
    }
}
