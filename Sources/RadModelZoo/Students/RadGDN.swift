import Foundation
import RadOps

/// rad-gdn: a Gated DeltaNet time-mixer (Yang, Kautz, Hatamizadeh, "Gated Delta Networks", ICLR 2025;
/// the recurrence of Qwen3-Next's linear layers) in place of softmax attention. Per head, with
/// L2-normalised q_t and k_t, a_t = exp(−exp(A_log)·softplus(W_a x_t + dt_bias)) and b_t = σ(W_b x_t):
/// S_t = a_t S_{t−1} (I − b_t k_t k_tᵀ) + b_t v_t k_tᵀ, o_t = S_t q_t (q scaled by N^-0.5, as FLA);
/// the output is o_proj(SiLU(W_g x_t) ⊙ RMSNorm(o_t)). q, k, v and o are the teacher's projections
/// (GQA heads repeated, spec §1.1). Qwen3-Next's short convolution is not part of this student.
public struct RadGDNArchitecture: StudentArchitecture {
    public static let name = "rad-gdn"
    public static let summary = "Gated DeltaNet (ICLR 2025, Qwen3-Next's linear layers): gated delta rule over L2-normalised q/k, SiLU output gate, per-head RMSNorm"
    public static let hfModelType = "gdnqwen2"
    public static let hfArchitecture = "GDNQwen2ForCausalLM"
    public static let recurrenceKernel = "gated_delta"
    /// The decay: its rate A, its bias and its data-dependent projection.
    public static let decayAndTokenshiftParameters: Set<String> = ["A_log", "dt_bias", "a_proj.weight"]
    public static let optionTable: [ArchitectureOption] = [
        .bool("rope", false, "apply the teacher's RoPE to q and k before their L2 normalisation (Gated DeltaNet has none)"),
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
        ["rope": .bool(hf.bool("use_rope") ?? false)]
    }

    /// The Gated DeltaNet reference layer's initialisation (FLA `GatedDeltaNet`): A ~ U(0, 16), dt
    /// log-uniform in [0.001, 0.1] (floored at 1e-4) with dt_bias its inverse softplus, nn.Linear's
    /// U(±1/√C) for the new projections, a unit norm weight. A and dt are taken at evenly spaced
    /// quantiles over the heads instead of drawn, so that each head keeps its own decay rate (as RWKV's
    /// initialisations spread theirs) and the student is the same for every seed.
    public func specs(config: TransformerConfig, layer: Int, layers: Int) -> [ParameterSpec] {
        let c = config.hiddenSize, h = config.numHeads, d = h * config.headDim
        let linearBound = Float(1 / Double(c).squareRoot())
        func quantile(_ i: Int) -> Double { (Double(i) + 0.5) / Double(h) }
        var s = teacherProjectionSpecs(config: config, layer: layer)
        s.append(ParameterSpec("a_proj.weight", [h, c], .uniform(linearBound)))
        s.append(ParameterSpec("b_proj.weight", [h, c], .uniform(linearBound)))
        s.append(ParameterSpec("A_log", [h], .formula { i in Float(log(16 * quantile(i))) }))
        s.append(ParameterSpec("dt_bias", [h], .formula { i in
            let dt = max(exp(log(0.001) + quantile(i) * (log(0.1) - log(0.001))), 1e-4)
            return Float(dt + log(-expm1(-dt)))
        }))
        s.append(ParameterSpec("g_proj.weight", [d, c], .uniform(linearBound)))
        s.append(ParameterSpec("o_norm.weight", [config.headDim], .constant(1)))
        return s
    }

    public func makeMixer(config: TransformerConfig, layer: Int, parameters: ParameterTable) -> SequenceMixer {
        RadGDNMixer(config: config, options: self, parameters: parameters)
    }
}

/// The Gated DeltaNet time-mixer of `RadGDNArchitecture`.
public final class RadGDNMixer: SequenceMixer, ParameterTableOwner {
    public let options: RadGDNArchitecture
    public let table: ParameterTable
    let heads: Int, kvHeads: Int, headDim: Int, ropeTheta: Float, normEps: Float
    let q: HeadProjection, k: HeadProjection, v: HeadProjection, o: Tensor
    let aProj: Tensor, bProj: Tensor, aLog: Tensor, dtBias: Tensor, gProj: Tensor, oNorm: Tensor
    /// FLA's `l2norm` epsilon (inside the square root).
    static let l2Eps: Float = 1e-6

    public init(config: TransformerConfig, options: RadGDNArchitecture, parameters p: ParameterTable) {
        self.options = options
        table = p
        heads = config.numHeads; kvHeads = config.numKVHeads; headDim = config.headDim
        ropeTheta = Float(config.ropeTheta); normEps = Float(config.rmsNormEps)
        q = p.projection("q_proj", heads: heads, headDim: headDim)
        k = p.projection("k_proj", heads: kvHeads, headDim: headDim)
        v = p.projection("v_proj", heads: kvHeads, headDim: headDim)
        o = p["o_proj.weight"]
        aProj = p["a_proj.weight"]; bProj = p["b_proj.weight"]; aLog = p["A_log"]; dtBias = p["dt_bias"]
        gProj = p["g_proj.weight"]; oNorm = p["o_norm.weight"]
    }

    public var parameters: [Tensor] { table.tensors }

    public func forward(_ x: Tensor, context: ForwardContext, state: MixerState?) -> Tensor {
        let (b, t) = (context.batch, context.seqLen)
        let d = heads * headDim
        let rec = state as? RecurrentState
        var q = self.q(x), k = self.k(x)
        let v = self.v(x)
        if options.rope {
            q = rope(q, positionOffset: context.positionOffset, theta: ropeTheta)
            k = rope(k, positionOffset: context.positionOffset, theta: ropeTheta)
        }
        let groups = heads / kvHeads
        // Normalising before the GQA repeat is the same per head and G times cheaper.
        let qn = l2Normalize(q, eps: Self.l2Eps)
        let kn = repeatHeads(l2Normalize(k, eps: Self.l2Eps), groups: groups)
        // log a = −exp(A_log) · softplus(W_a x + dt_bias), per head [B, T, H]; b = σ(W_b x).
        let logDecay = mul(softplus(linear(x, weight: aProj, bias: dtBias)), scale(exp(aLog), -1))
        let beta = sigmoid(linear(x, weight: bProj))
        let (out, final) = gatedDeltaRecurrence(q: qn, k: kn, v: repeatHeads(v, groups: groups), logDecay: logDecay, beta: beta,
                                                scale: 1 / Float(headDim).squareRoot(), initialState: rec?.matrix)
        if let rec { rec.matrix = final; rec.position += t }
        let normed = rmsNorm(out, weight: oNorm, eps: normEps).reshaped([b, t, d])
        return linear(mul(silu(linear(x, weight: gProj)), normed), weight: o)
    }

    public func makeState(batch: Int, capacity: Int) -> MixerState {
        RecurrentState(batch: batch, heads: heads, headDim: headDim, shiftWidth: nil)
    }
}
