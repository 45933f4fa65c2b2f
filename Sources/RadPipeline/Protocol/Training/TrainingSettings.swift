import RadOps

/// What a stage optimises (spec §1.2, §1.3, §1.5).
public enum StageObjective: Equatable, Sendable {
    /// Stage 1: per-layer attention-output alignment (teacher drives the residual stream).
    case alignHiddenStates
    /// Stages 2 / 2a / 3: `klWeight · KL(teacher ‖ student) + ceWeight · CE(next token)`.
    case logits(klWeight: Double, ceWeight: Double)

    public var needsTeacher: Bool {
        switch self {
        case .alignHiddenStates: return true
        case .logits(let kl, _): return kl > 0
        }
    }
}

/// Hyper-parameters of one training stage.
public struct TrainingSettings: Equatable, Sendable {
    public var objective: StageObjective
    public var tokens: Int
    public var seqLen: Int
    /// Sequences per optimizer step.
    public var batch: Int
    /// Sequences per forward/backward pass (gradients accumulate over batch / microBatch passes).
    public var microBatch: Int
    /// LR of everything but the sequence mixers.
    public var lrMain: LearningRateSchedule
    /// LR of the sequence mixers (the `.self_attn.` group).
    public var lrAttention: LearningRateSchedule
    public var beta1 = 0.9, beta2 = 0.95, eps = 1e-8, weightDecay = 0.0
    public var gradClip: Float = 1.0
    /// Optimizer steps between checkpoints (0: only the time-based ones).
    public var checkpointEvery: Int = 0
    /// Training time between checkpoints, in seconds (0: none): checkpointing is on by default, so that
    /// an interrupted multi-hour stage resumes where it was (the paper's manifests set no `checkpoint_every`).
    public var checkpointSeconds: Double = TrainingSettings.defaultCheckpointMinutes * 60
    /// The `checkpoint_minutes` default.
    public static let defaultCheckpointMinutes = 10.0
    /// Step 3a (spec §1.5): train only the decay and token-shift parameters (each architecture names
    /// its own: `StudentArchitecture.decayAndTokenshiftParameters`).
    public var onlyDecayAndTokenshift = false
    /// Recompute each student layer in the backward pass instead of keeping its activations
    /// (`DecoderModel.activationCheckpointing`); the results do not change.
    public var activationCheckpointing = false

    public init(objective: StageObjective, tokens: Int, seqLen: Int, batch: Int, microBatch: Int? = nil,
                lrMain: LearningRateSchedule, lrAttention: LearningRateSchedule? = nil) {
        self.objective = objective; self.tokens = tokens; self.seqLen = seqLen; self.batch = batch
        self.microBatch = microBatch ?? batch
        self.lrMain = lrMain; self.lrAttention = lrAttention ?? lrMain
    }

    public var tokensPerStep: Int { batch * seqLen }
    public var totalSteps: Int { Self.optimizerSteps(tokens: tokens, tokensPerStep: tokensPerStep) }

    /// The optimizer steps of a stage: enough to train on `tokens` (the last step may pass it), at least
    /// one. Training, the planner and the memory/plan tables all count with this.
    public static func optimizerSteps(tokens: Int, tokensPerStep: Int) -> Int {
        max(1, (tokens + tokensPerStep - 1) / tokensPerStep)
    }
}
