import RadOps
import Foundation
import RadModelZoo

/// `align_hidden_states`, `distill_logits`, `finetune`: one RADLADS training stage over the cached
/// student, resumable from the cache's checkpoint of the same step.
struct TrainingExecutor: StepExecutor {
    func execute(_ context: StepContext) throws -> StepOutput {
        let student = try ModelArtifact.load(try context.input("model"))
        let stream = try TokenStream.load(try context.input("data"))
        let settings = try Self.settings(context)
        let teacher = settings.objective.needsTeacher ? try context.teacherModel() : nil
        if let t = context.setting("threads")?.intValue, t > 0 { Parallel.setThreadCount(Int(t)) }
        let trainer = try StageTrainer(student: student, teacher: teacher, settings: settings, stream: stream)
        var resume: TrainingCheckpoint? = nil
        if let saved = try context.resumeCheckpoint() {
            resume = try Self.checkpoint(from: saved)
            context.say("\(context.node.id): resuming at optimizer step \(resume!.step) of \(settings.totalSteps)")
        }
        let started = Date()
        let history = try trainer.run(resume: resume, onStep: { r in
            context.report(tokens: Int64(r.tokens), of: Int64(r.totalTokens), loss: r.loss,
                           metrics: ["grad_norm": r.gradNorm, "lr": r.lrMain, "lr_attention": r.lrAttention,
                                     "step": Double(r.step)])
        }, onCheckpoint: { c in
            var tensors: [String: Tensor] = [:]
            for (k, v) in c.parameters { tensors["param/" + k] = v }
            for (k, v) in c.optimizer { tensors["optim/" + k] = v }
            try context.saveCheckpoint(tensors: tensors, meta: .object([
                "step": .int(Int64(c.step)), "losses": .array(c.lossHistory.map { .double($0) })]))
        })
        let seconds = Date().timeIntervalSince(started)
        let trainedTokens = (history.count - (resume?.lossHistory.count ?? 0)) * settings.tokensPerStep
        return try ModelArtifact.output(student, workDirectory: context.workDirectory, meta: .object([
            "losses": .array(history.map { .double($0) }),
            "final_loss": .double(history.last ?? .nan),
            "optimizer_steps": .int(Int64(history.count)),
            "tokens": .int(Int64(history.count * settings.tokensPerStep)),
            "seconds": .double(seconds),
            "tokens_per_second": .double(seconds > 0 ? Double(trainedTokens) / seconds : 0)]))
    }

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

    static func schedule(_ v: CanonicalValue?) -> ScheduleSettings? {
        guard let v, let initLR = v["init"]?.doubleValue else { return nil }
        let kind: LRSchedule.Kind
        switch v["schedule"]?.stringValue ?? "constant" {
        case "quarter_cosine", "cos", "cosine": kind = .cos
        case "linear": kind = .linear
        case "exp": kind = .exp
        default: kind = .constant
        }
        return ScheduleSettings(kind: kind, initLR: initLR, finalLR: v["final"]?.doubleValue,
                                warmupSteps: Int(v["warmup_steps"]?.intValue ?? 50),
                                wait: v["wait"]?.doubleValue ?? 0, endpoint: v["endpoint"]?.doubleValue ?? 1)
    }

    static func settings(_ context: StepContext) throws -> TrainingSettings {
        let s = context.settings
        let objective: StageObjective
        switch context.node.kind {
        case "align_hidden_states": objective = .alignHiddenStates
        case "distill_logits":
            objective = .logits(klWeight: s["kl_weight"]?.doubleValue ?? 1, ceWeight: s["ce_weight"]?.doubleValue ?? 0)
        default:
            objective = .logits(klWeight: s["kl_weight"]?.doubleValue ?? 0, ceWeight: s["ce_weight"]?.doubleValue ?? 1)
        }
        guard let lr = schedule(s["lr"]) else { throw StepFailure("step '\(context.node.id)' has no learning rate") }
        let batch = Int(s["batch"]?.intValue ?? 1)
        var t = TrainingSettings(objective: objective, tokens: Int(s["tokens"]?.intValue ?? 0),
                                 seqLen: Int(s["seq_len"]?.intValue ?? 512), batch: batch,
                                 microBatch: Int(s["micro_batch"]?.intValue ?? Int64(batch)),
                                 lrMain: lr, lrAttention: schedule(s["lr_attention"]))
        if let adam = s["adam"] {
            t.beta1 = adam["beta1"]?.doubleValue ?? t.beta1
            t.beta2 = adam["beta2"]?.doubleValue ?? t.beta2
            t.eps = adam["eps"]?.doubleValue ?? t.eps
            t.weightDecay = adam["weight_decay"]?.doubleValue ?? t.weightDecay
        }
        t.gradClip = Float(s["grad_clip"]?.doubleValue ?? 1)
        t.checkpointEvery = Int(s["checkpoint_every"]?.intValue ?? 0)
        t.checkpointSeconds = 60 * (s["checkpoint_minutes"]?.doubleValue ?? TrainingSettings.defaultCheckpointMinutes)
        t.onlyDecayAndTokenshift = s["trainable"]?.stringValue == "decay_tokenshift"
        t.activationCheckpointing = s["activation_checkpointing"]?.boolValue ?? false
        return t
    }
}
