import RadOps

/// rad-rwkv6: `RadRWKV6Mixer` with `RWKV6Options`.
public struct RadRWKV6Architecture: StudentArchitecture {
    public var mixerOptions = RWKV6Options()
    public let name = "rad-rwkv6"
    public let hfModelType = "rwkv6qwen2"
    public let hfArchitecture = "RWKV6Qwen2ForCausalLM"

    public init(options: [String: OptionValue]) throws {
        var r = OptionReader(options, architecture: name)
        if let v = try r.bool("tokenshift") { mixerOptions.tokenshift = v }
        if let v = try r.choice("gate", ["full", "low_rank", "none"]) { mixerOptions.gate = .init(rawValue: v)! }
        if let v = try r.bool("state_balance") { mixerOptions.stateBalance = v }
        if let v = try r.bool("rope") { mixerOptions.rope = v }
        mixerOptions.tokenshiftRank = try r.rank("tokenshift_lora_rank")
        mixerOptions.decayRank = try r.rank("decay_lora_rank")
        mixerOptions.gateRank = try r.rank("gate_lora_rank")
        try r.finish()
    }

    public func specs(config: TransformerConfig, layer: Int, layers: Int) -> [ParameterSpec] {
        RadRWKV6Mixer.specs(config: config, options: mixerOptions, layer: layer, layers: layers)
    }

    public func makeMixer(config: TransformerConfig, layer: Int, parameters: ParameterTable) -> SequenceMixer {
        RadRWKV6Mixer(config: config, options: mixerOptions, parameters: parameters)
    }

    public func hfConfigFields(config: TransformerConfig) -> [String: OptionValue] {
        let ranks = mixerOptions.ranks(hidden: config.hiddenSize)
        var f: [String: OptionValue] = [
            "use_tokenshift": .bool(mixerOptions.tokenshift),
            "gate_rank_type": .int(mixerOptions.gate == .full ? 1 : mixerOptions.gate == .lowRank ? 2 : 0),
            "balance_state": .bool(mixerOptions.stateBalance),
            "groupnorm_att": .bool(!mixerOptions.stateBalance),
            "use_rope": .bool(mixerOptions.rope),
            "lora_rank_decay": .int(ranks.decay),
            "lora_rank_tokenshift": .int(ranks.tokenshift),
        ]
        if mixerOptions.gate == .lowRank { f["lora_rank_gate"] = .int(ranks.gate) }
        return f
    }

    public var options: [String: OptionValue] {
        var o: [String: OptionValue] = ["tokenshift": .bool(mixerOptions.tokenshift), "gate": .string(mixerOptions.gate.rawValue),
                                        "state_balance": .bool(mixerOptions.stateBalance), "rope": .bool(mixerOptions.rope)]
        if let r = mixerOptions.tokenshiftRank { o["tokenshift_lora_rank"] = .int(r) }
        if let r = mixerOptions.decayRank { o["decay_lora_rank"] = .int(r) }
        if let r = mixerOptions.gateRank { o["gate_lora_rank"] = .int(r) }
        return o
    }
}

/// rad-rwkv7: `RadRWKV7Mixer` with `RWKV7Options`.
public struct RadRWKV7Architecture: StudentArchitecture {
    public var mixerOptions = RWKV7Options()
    public let name = "rad-rwkv7"
    public let hfModelType = "rwkv7qwen2"
    public let hfArchitecture = "RWKV7Qwen2ForCausalLM"

    public init(options: [String: OptionValue]) throws {
        var r = OptionReader(options, architecture: name)
        if let v = try r.bool("rope") { mixerOptions.rope = v }
        if let v = try r.bool("state_balance") { mixerOptions.stateBalance = v }
        if let v = try r.choice("gate", ["low_rank", "full"]) { mixerOptions.gate = .init(rawValue: v)! }
        mixerOptions.decayRank = try r.rank("decay_lora_rank")
        mixerOptions.iclrRank = try r.rank("iclr_lora_rank")
        mixerOptions.valueResidualRank = try r.rank("value_residual_lora_rank")
        mixerOptions.gateRank = try r.rank("gate_lora_rank")
        try r.finish()
    }

    public func specs(config: TransformerConfig, layer: Int, layers: Int) -> [ParameterSpec] {
        RadRWKV7Mixer.specs(config: config, options: mixerOptions, layer: layer, layers: layers)
    }

    public func makeMixer(config: TransformerConfig, layer: Int, parameters: ParameterTable) -> SequenceMixer {
        RadRWKV7Mixer(config: config, options: mixerOptions, layer: layer, parameters: parameters)
    }

    public func hfConfigFields(config: TransformerConfig) -> [String: OptionValue] {
        let ranks = mixerOptions.ranks(hidden: config.hiddenSize)
        return [
            "use_tokenshift": .bool(false),
            "gate_rank_type": .int(mixerOptions.gate == .full ? 1 : 2),
            "balance_state": .bool(mixerOptions.stateBalance),
            "groupnorm_att": .bool(!mixerOptions.stateBalance),
            "use_rope": .bool(mixerOptions.rope),
            "lora_rank_decay": .int(ranks.decay),
            "lora_rank_iclr": .int(ranks.iclr),
            "lora_rank_value_residual_mix": .int(ranks.value),
            "lora_rank_gate": .int(ranks.gate),
        ]
    }

    public var options: [String: OptionValue] {
        var o: [String: OptionValue] = ["rope": .bool(mixerOptions.rope), "state_balance": .bool(mixerOptions.stateBalance),
                                        "gate": .string(mixerOptions.gate.rawValue)]
        if let r = mixerOptions.decayRank { o["decay_lora_rank"] = .int(r) }
        if let r = mixerOptions.iclrRank { o["iclr_lora_rank"] = .int(r) }
        if let r = mixerOptions.valueResidualRank { o["value_residual_lora_rank"] = .int(r) }
        if let r = mixerOptions.gateRank { o["gate_lora_rank"] = .int(r) }
        return o
    }
}

/// qlinatt: the paper's QLinAtt baseline.
public struct QLinAttArchitecture: StudentArchitecture {
    public var mixerOptions = QLinAttOptions()
    public let name = "qlinatt"
    public let hfModelType = "qlinattqwen2"
    public let hfArchitecture = "QLinAttQwen2ForCausalLM"

    public init(options: [String: OptionValue]) throws {
        var r = OptionReader(options, architecture: name)
        if let v = try r.bool("rope") { mixerOptions.rope = v }
        try r.finish()
    }

    public func specs(config: TransformerConfig, layer: Int, layers: Int) -> [ParameterSpec] {
        QLinAttMixer.specs(config: config, options: mixerOptions, layer: layer, layers: layers)
    }

    public func makeMixer(config: TransformerConfig, layer: Int, parameters: ParameterTable) -> SequenceMixer {
        QLinAttMixer(config: config, options: mixerOptions, parameters: parameters)
    }

    public func hfConfigFields(config: TransformerConfig) -> [String: OptionValue] { ["use_rope": .bool(mixerOptions.rope)] }

    public var options: [String: OptionValue] { ["rope": .bool(mixerOptions.rope)] }
}
