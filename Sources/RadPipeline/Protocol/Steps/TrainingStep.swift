import RadOps
import Foundation
import RadModelZoo

/// What the three training kinds (`align_hidden_states`, `distill_logits`, `finetune`) share: the
/// settings every training step has, their decoding into `TrainingSettings`, the graph's and the
/// planner's view, and the executor (one RADLADS stage over the cached student, resumable from the
/// cache's checkpoint of the same step). Each kind adds its objective's settings and decodes its objective.
protocol TrainingKind: StepKind where Settings == TrainingStepSettings {
    static var summary: String { get }
    /// The paper's budget and learning rate for this stage (spec §1.8 Table 2), as the settings' defaults.
    static var budget: TrainingBudget { get }
    /// The objective's own settings (weights of the losses, what trains).
    static var objectiveSettings: [SettingSpec] { get }
    /// Stage 1: only the replacement mixers train, on the teacher's hidden states (the planner's cost model).
    static var trainsOnlyMixers: Bool { get }
    /// The objective's part of the settings (`training.objective`, `onlyDecayAndTokenshift`), and
    /// `problems` for values the engine cannot honour yet.
    static func objective(_ record: StepRecord, into settings: inout TrainingStepSettings) throws
}

/// A training kind's defaults for the budget and the learning rate.
struct TrainingBudget {
    var tokens: Int64, seqLen: Int64, batch: Int64
    var lr: CanonicalValue
}

/// A training step's settings, decoded once.
public struct TrainingStepSettings: Sendable {
    /// The `data:` entry trained on.
    public var data: String
    public var training: TrainingSettings
    /// Whether `micro_batch` was written (memory advice; `training.microBatch` is `batch` otherwise).
    public var microBatchSet: Bool
    /// Worker threads (0 = all cores).
    public var threads: Int
    /// Optimizer steps between metrics lines (the first and the last step are always logged).
    public var logEvery: Int = 10
    /// Stage 1 with `softmax_layers: { auto: K }`: the tokens on which the layers are scored after it.
    public var selectionTokens = LayerSelection.defaultTokens
    /// Values the schema allows that the trainer does not implement (reported by the validator).
    public var problems: [SettingProblem] = []
}

extension TrainingKind {
    static var trainsOnlyMixers: Bool { false }
    /// Every rank computes its slice of each batch.
    static var sharedByRanks: Bool { true }

    static var spec: StepKindSpec {
        StepKindSpec(name: name, summary: summary, settings: commonSettings(budget) + objectiveSettings,
                     modelInput: .optional, producesModel: true)
    }

    static var adam: SettingSpec {
        SettingSpec("adam", .record(name: "adam", [
            SettingSpec("beta1", .number(min: 0, max: 0.999999), default: .double(0.9), "first-moment decay"),
            SettingSpec("beta2", .number(min: 0, max: 0.999999999), default: .double(0.95), "second-moment decay"),
            SettingSpec("eps", .number(min: 0, max: 1), default: .double(1e-8), "denominator epsilon"),
            SettingSpec("weight_decay", .number(min: 0, max: 1), default: .double(0), "decoupled weight decay (AdamW)"),
        ]), "AdamW hyper-parameters")
    }

    /// The settings every training step has. `lr_attention` defaults to `lr` (filled by the validator).
    static func commonSettings(_ b: TrainingBudget) -> [SettingSpec] {
        [
            SettingSpec("after", .stepRef, "step whose model this step continues (default: the initialised student)"),
            SettingSpec("data", .dataRef, default: .string("train"), "entry of `data:` to train on"),
            SettingSpec("tokens", .size(min: 1), default: .int(b.tokens), "training budget in tokens"),
            SettingSpec("seq_len", .int(min: 1, max: 1 << 20), default: .int(b.seqLen), "tokens per training sequence"),
            SettingSpec("batch", .int(min: 1, max: 1 << 20), default: .int(b.batch), "sequences per optimizer step"),
            SettingSpec("micro_batch", .int(min: 1, max: 1 << 20),
                        "sequences per forward/backward pass, a divisor of batch (default: batch); gradients accumulate "
                        + "over batch / micro_batch passes: less memory, the same update up to float rounding"),
            SettingSpec("lr", .learningRate, default: b.lr, "learning rate of everything but the replacement mixer (LR_main)"),
            SettingSpec("lr_attention", .learningRate, "learning rate of the `.self_attn.` group (LR_att; default: lr)"),
            adam,
            SettingSpec("grad_clip", .number(min: 0, max: nil), default: .double(1.0), "global gradient-norm clip (0 = off)"),
            SettingSpec("checkpoint_every", .int(min: 0, max: 1 << 40), default: .int(0), cosmetic: true,
                        "optimizer steps between resumable checkpoints (0 = only the time-based ones); resume is exact"),
            SettingSpec("checkpoint_minutes", .number(min: 0, max: nil), default: .double(TrainingSettings.defaultCheckpointMinutes),
                        cosmetic: true, "minutes of training between resumable checkpoints (0 = none), so that an interrupted "
                        + "long stage resumes instead of starting over; resume is exact"),
            SettingSpec("log_every", .int(min: 1, max: 1 << 40), default: .int(10), cosmetic: true, "optimizer steps between metrics.jsonl lines (the first and last step are always logged; the progress line shows every step)"),
            SettingSpec("threads", .int(min: 0, max: 4096), default: .int(0), cosmetic: true, "worker threads (0 = all cores); results are bit-identical"),
            SettingSpec("activation_checkpointing", .bool, default: .bool(false), cosmetic: true,
                        "keep only each layer's input and recompute the layer in the backward pass: activation memory "
                        + "of one layer instead of all, for one more forward pass; results are bit-identical"),
        ]
    }

    static func decode(_ r: StepRecord) throws -> TrainingStepSettings {
        let batch = Int(try r.int("batch"))
        let microBatch = try r.optional("micro_batch", StepRecord.int).map(Int.init)
        var t = TrainingSettings(objective: .alignHiddenStates, tokens: Int(try r.int("tokens")), seqLen: Int(try r.int("seq_len")),
                                 batch: batch, microBatch: microBatch,
                                 lrMain: try LearningRateSchedule(try r.record("lr")),
                                 lrAttention: try LearningRateSchedule(try r.record("lr_attention")))
        let adam = try r.record("adam", orDefaultsOf: Self.adam)
        t.beta1 = try adam.double("beta1"); t.beta2 = try adam.double("beta2")
        t.eps = try adam.double("eps"); t.weightDecay = try adam.double("weight_decay")
        t.gradClip = Float(try r.double("grad_clip"))
        t.checkpointEvery = Int(try r.int("checkpoint_every"))
        t.checkpointSeconds = 60 * (try r.double("checkpoint_minutes"))
        t.activationCheckpointing = try r.bool("activation_checkpointing")
        var s = TrainingStepSettings(data: try r.string("data"), training: t, microBatchSet: microBatch != nil,
                                     threads: Int(try r.int("threads")), logEvery: Int(try r.int("log_every")))
        try objective(r, into: &s)
        return s
    }

    static func problems(_ s: TrainingStepSettings) -> [SettingProblem] { s.problems }

    static func needs(_ s: TrainingStepSettings) -> StepNeeds {
        StepNeeds(teacher: s.training.objective.needsTeacher, data: .init(s.data))
    }

    static func training(_ s: TrainingStepSettings) -> TrainingLoop? {
        let t = s.training
        var loop = TrainingLoop(tokens: Int64(t.tokens), seqLen: Int64(t.seqLen), batch: Int64(t.batch),
                                microBatch: s.microBatchSet ? Int64(t.microBatch) : nil,
                                activationCheckpointing: t.activationCheckpointing, usesTeacher: t.objective.needsTeacher,
                                trainsOnlyMixers: trainsOnlyMixers)
        if trainsOnlyMixers { loop.selectionTokens = Int64(s.selectionTokens) }
        return loop
    }

    func run(_ s: TrainingStepSettings, _ context: StepContext) throws -> StepOutput {
        let settings = s.training
        let input = try context.input("model")
        if s.threads > 0 { Parallel.setThreadCount(s.threads) }
        // Under `mpirun` what a rank reads alone (the student, the stream, the teacher, the checkpoint to
        // resume from) is agreed on once, before the ranks train together, so that a file one rank cannot
        // read stops every rank with one message.
        let share: WorkShare = MPIWorld.current.map { RankWork(world: $0) } ?? WholeWork()
        let (student, teacher, trainer, resume) = try share.agreeing {
            let student = try ModelArtifact.load(input)
            let stream = try TokenStream.load(try context.input("data"))
            let teacher = settings.objective.needsTeacher ? try context.teacherModel() : nil
            let trainer = try StageTrainer(student: student, teacher: teacher, settings: settings, stream: stream)
            return (student, teacher, trainer, try context.resumeCheckpoint().map { try TrainingCheckpoints.checkpoint(from: $0) })
        }
        // Under `mpirun` every rank computes its slice of each batch; the gradients are summed before the
        // step (allreduced, or reduce-scattered into the shard whose optimizer state this rank keeps).
        var reducer: GradientSync?
        if let world = MPIWorld.current {
            let distributed = context.manifest.distributed
            if distributed.shardOptimizer {
                let sharded = ShardedGradientReducer(world: world, optimizer: trainer.optimizer, bucketBytes: distributed.bucketBytes)
                trainer.update = sharded; reducer = sharded
            } else {
                reducer = GradientReducer(world: world, bucketBytes: distributed.bucketBytes, overlapBackward: distributed.overlapBackward)
            }
        }
        trainer.sync = reducer
        if let resume {
            context.say("\(context.node.id): resuming at optimizer step \(resume.step) of \(settings.totalSteps)")
            context.progress.resumed(step: context.node.id, tokens: Int64(resume.step * settings.tokensPerStep))
        }
        let started = Date()
        let history = try trainer.run(resume: resume, onStep: { r in
            // Before, `log_every` was accepted and every optimizer step wrote a metrics line.
            context.report(tokens: Int64(r.tokens), of: Int64(r.totalTokens), loss: r.loss,
                           metrics: ["grad_norm": r.gradNorm, "lr": r.lrMain, "lr_attention": r.lrAttention,
                                     "step": Double(r.step)],
                           record: r.step == 1 || r.step % s.logEvery == 0 || r.step == r.totalSteps)
        }, onCheckpoint: { c in
            var tensors: [String: Tensor] = [:]
            for (k, v) in c.parameters { tensors["param/" + k] = v }
            for (k, v) in c.optimizer { tensors["optim/" + k] = v }
            try context.saveCheckpoint(tensors: tensors, meta: .object([
                "step": .int(Int64(c.step)), "losses": .array(c.lossHistory.map { .double($0) })]))
        })
        let seconds = Date().timeIntervalSince(started)
        let stateBytes = trainer.update.stateBytes
        if let timing = reducer?.timing, timing.steps > 0, context.role == .leader {
            let n = Double(timing.steps)
            let share = { (part: Double) -> Double in seconds > 0 ? 100 * part / seconds : 0 }
            let sharded = trainer.update is ShardedGradientReducer
            if timing.overlappedSeconds > 0 {
                context.say(String(format: "%@: gradient allreduce beside backward %.1f ms per step; the training thread waited "
                                   + "%.1f ms per step for it after backward (%.1f%% of the training time) over %d ranks; optimizer state %@ per rank",
                                   context.node.id, 1000 * timing.overlappedSeconds / n, 1000 * timing.seconds / n, share(timing.seconds),
                                   timing.ranks, Units.bytes(Int64(stateBytes))))
            } else {
                context.say(String(format: "%@: gradient %@ %.1f ms per step (%.1f%% of the training time) over %d ranks; "
                                   + "waiting for the slowest rank %.1f ms per step (%.1f%%); optimizer state %@ per rank%@",
                                   context.node.id, sharded ? "reduce-scatter + weight all-gather" : "allreduce",
                                   1000 * timing.seconds / n, share(timing.seconds), timing.ranks,
                                   1000 * timing.waitSeconds / n, share(timing.waitSeconds), Units.bytes(Int64(stateBytes)),
                                   sharded ? " (sharded: rank 0's, the largest shard)" : ""))
            }
        }
        let trainedTokens = (history.count - (resume?.lossHistory.count ?? 0)) * settings.tokensPerStep
        // A follower's weights equal rank 0's; only rank 0 stores them.
        if context.role == .follower { return StepOutput() }
        var selection: LayerSelection? = nil
        if case .alignHiddenStates = settings.objective, let k = context.manifest.student?.autoSoftmaxLayers,
           student.student?.softmaxLayers.count == 0, let teacher {
            context.say("\(context.node.id): scoring every layer's conversion by KL on \(Units.count(Int64(s.selectionTokens))) "
                        + "tokens, to keep \(k) as softmax attention")
            let chosen = try trainer.selectSoftmaxLayers(keep: k, tokens: s.selectionTokens, teacher: teacher)
            context.say("\(context.node.id): \(chosen.summary)")
            selection = chosen
        }
        let finalLoss = CanonicalValue.double(history.last ?? .nan), steps = CanonicalValue.int(Int64(history.count))
        let tokens = CanonicalValue.int(Int64(history.count * settings.tokensPerStep))
        var meta: [String: CanonicalValue] = [
            "losses": .array(history.map { .double($0) }),
            "final_loss": finalLoss,
            "optimizer_steps": steps,
            "tokens": tokens,
            "seconds": .double(seconds),
            "tokens_per_second": .double(seconds > 0 ? Double(trainedTokens) / seconds : 0),
            // AdamW moments held by one process (rank 0's shard under `shard_optimizer`, the largest).
            "optimizer_state_bytes_per_rank": .int(Int64(stateBytes)),
            // Every stage the model went through, for the exported model card.
            "lineage": .array((input.meta["lineage"]?.arrayValue ?? []) + [.object([
                "step": .string(context.node.id), "kind": .string(context.node.kind),
                "tokens": tokens, "seq_len": .int(Int64(settings.seqLen)),
                "batch": .int(Int64(settings.batch)), "lr": context.node.settings["lr"] ?? .null,
                "optimizer_steps": steps, "final_loss": finalLoss,
                "seconds": .double((seconds * 10).rounded() / 10)])]),
            ]
        if let selection { meta[LayerSelection.metaKey] = selection.canonical }
        return try ModelArtifact.output(student, workDirectory: context.workDirectory, meta: .object(meta))
    }
}

/// A training stage's checkpoint in the cache: parameters under `param/`, optimizer moments under `optim/`.
enum TrainingCheckpoints {
    static func checkpoint(from a: Artifact) throws -> TrainingCheckpoint {
        let tensors = try a.tensors()
        var params: [String: Tensor] = [:], optim: [String: Tensor] = [:]
        for (k, v) in tensors {
            if k.hasPrefix("param/") { params[String(k.dropFirst(6))] = v }
            else if k.hasPrefix("optim/") { optim[String(k.dropFirst(6))] = v }
        }
        guard let step = a.meta["step"]?.intValue else { throw StepFailure("checkpoint \(a.key.prefix(12)) has no step") }
        let losses = a.meta["losses"]?.arrayValue?.compactMap(\.doubleValue) ?? []
        return TrainingCheckpoint(step: Int(step), parameters: params, optimizer: optim, lossHistory: losses)
    }
}
