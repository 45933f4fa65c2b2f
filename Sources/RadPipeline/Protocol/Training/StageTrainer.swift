import RadOps
import Foundation
import RadModelZoo

/// A training failure that must stop the stage with a clear message.
public struct TrainingError: Error, CustomStringConvertible {
    public let description: String
    /// Raised alike on every rank of a data-parallel job (it comes from the summed loss or gradients).
    public let onEveryRank: Bool
    public init(_ description: String, onEveryRank: Bool = false) { self.description = description; self.onEveryRank = onEveryRank }
}

/// Where a stage stands: enough to resume bit-identically (weights, optimizer moments, step; the data
/// order is a pure function of the step).
public struct TrainingCheckpoint {
    public var step: Int
    /// Trainable parameters by checkpoint key.
    public var parameters: [String: Tensor]
    public var optimizer: [String: Tensor]
    public var lossHistory: [Double]
}

/// One optimizer step's numbers, for progress lines and metrics.
public struct StepReport: Sendable {
    public var step: Int
    public var totalSteps: Int
    public var tokens: Int
    public var totalTokens: Int
    public var loss: Double
    public var gradNorm: Double
    public var lrMain: Double
    public var lrAttention: Double
    public var seconds: Double
}

/// Runs one RADLADS training stage on a student (and a frozen teacher when the objective needs one),
/// reading windows of the packed token stream in the reference code's order.
public final class StageTrainer {
    public let student: DecoderModel
    public let teacher: DecoderModel?
    public let settings: TrainingSettings
    let stream: [Int32]
    let sampler: MagicPrimeSampler
    public let trainable: [Tensor]
    let optimizer: AdamW
    let attentionGroup: [Tensor], mainGroup: [Tensor]
    /// Data-parallel training (`mpirun`): this process computes its slice of every batch and the gradients
    /// are summed over the processes before clipping and the optimizer step. Nil: one process, the whole batch.
    public var sync: GradientSync?
    /// Clipping, the AdamW step and the optimizer's checkpoint state: of every weight in this process, or
    /// (ZeRO stage 1, `ShardedGradientReducer`) of this rank's shard, the rest gathered from the others.
    public var update: WeightUpdate

    public init(student: DecoderModel, teacher: DecoderModel?, settings: TrainingSettings, stream: [Int32]) throws {
        guard settings.batch % settings.microBatch == 0 else {
            throw TrainingError("batch \(settings.batch) is not a multiple of micro_batch \(settings.microBatch)")
        }
        if settings.objective.needsTeacher && teacher == nil { throw TrainingError("this stage needs a teacher") }
        guard let sampler = MagicPrimeSampler(tokenCount: stream.count, windowLength: settings.seqLen) else {
            throw TrainingError("the training text has \(stream.count) tokens: too few for windows of \(settings.seqLen)")
        }
        self.student = student; self.teacher = teacher; self.settings = settings
        self.stream = stream; self.sampler = sampler
        let layers = student.config.numLayers
        var attention: [Tensor] = [], main: [Tensor] = []
        switch settings.objective {
        case .alignHiddenStates:
            // Stage 1 trains only the replacement mixers; everything else stays the teacher's.
            for (l, layer) in student.layers.enumerated() where student.student?.isRecurrent(layer: l, of: layers) ?? true {
                attention += layer.mixer.parameters
            }
        case .logits where settings.onlyDecayAndTokenshift:
            let names = student.student?.architecture.decayAndTokenshiftParameters ?? []
            for layer in student.layers {
                // Short names are what follows the layer's `self_attn.` (`time_decay_w1`, `a_proj.weight`).
                attention += layer.mixer.parameters.filter { names.contains(($0.name ?? "").components(separatedBy: ".self_attn.").last ?? "") }
            }
            guard !attention.isEmpty else { throw TrainingError("trainable: decay_tokenshift found no decay or token-shift parameters") }
        case .logits:
            for layer in student.layers { attention += layer.mixer.parameters }
            let mixerIDs = Set(attention.map { ObjectIdentifier($0) })
            main = student.parameters.filter { !mixerIDs.contains(ObjectIdentifier($0)) }
        }
        for p in student.parameters { p.requiresGrad = false; p.grad = nil }
        for p in attention + main { p.requiresGrad = true }
        student.activationCheckpointing = settings.activationCheckpointing
        attentionGroup = attention; mainGroup = main
        trainable = attention + main
        var groups = [ParamGroup(params: attention, lr: settings.lrAttention.initLR)]
        if !main.isEmpty { groups.append(ParamGroup(params: main, lr: settings.lrMain.initLR)) }
        optimizer = AdamW(groups: groups, beta1: settings.beta1, beta2: settings.beta2, eps: settings.eps,
                          weightDecay: settings.weightDecay)
        update = LocalWeightUpdate(optimizer, parameters: trainable)
    }

    /// Tokens of sample `k`: a window of seqLen + 1 tokens (inputs are the first seqLen, targets the last).
    func window(sample k: Int) -> ArraySlice<Int32> {
        let start = sampler.windowStart(sample: k)
        return stream[start..<(start + settings.seqLen + 1)]
    }

    /// Restores a checkpoint written by this stage.
    public func restore(_ checkpoint: TrainingCheckpoint) throws {
        for p in trainable {
            guard let name = p.name, let saved = checkpoint.parameters[name], saved.count == p.count else {
                throw TrainingError("checkpoint lacks parameter '\(p.name ?? "?")' or its shape differs")
            }
            p.data.update(from: saved.data, count: p.count)
        }
        try update.importState(checkpoint.optimizer)
    }

    /// The stage's checkpoint at `step` (a collective under sharding: every rank calls it at the same step).
    public func checkpoint(step: Int, lossHistory: [Double]) throws -> TrainingCheckpoint {
        var params: [String: Tensor] = [:]
        for p in trainable { params[p.name!] = p.copy() }
        return TrainingCheckpoint(step: step, parameters: params, optimizer: try update.exportState(), lossHistory: lossHistory)
    }

    /// Trains from `resume` (or the start) to the stage's token budget. `onStep` sees every step;
    /// `onCheckpoint` receives a checkpoint every `checkpointEvery` steps and after every `checkpointSeconds`
    /// of training (whichever comes first since the last one), and one when an interruption
    /// is requested (then it throws `Interrupted`). Stops with an error, before
    /// updating the weights, when the loss or the gradient norm is not finite.
    public func run(resume: TrainingCheckpoint? = nil, onStep: (StepReport) -> Void = { _ in },
                    onCheckpoint: (TrainingCheckpoint) throws -> Void = { _ in }) throws -> [Double] {
        var history = resume?.lossHistory ?? []
        var step = resume?.step ?? 0
        if let resume { try restore(resume) }
        let total = settings.totalSteps
        let mainSchedule = settings.lrMain.schedule(totalTokens: settings.tokens, tokensPerStep: settings.tokensPerStep)
        let attnSchedule = settings.lrAttention.schedule(totalTokens: settings.tokens, tokensPerStep: settings.tokensPerStep)
        var lastCheckpoint = Date()
        while step < total {
            let started = Date()
            var loss = try accumulateGradients(step: step)
            // Every process asks to stop, and checkpoints by time, at the same step (a signal may reach
            // them, and `checkpoint_minutes` run out, at different times).
            var stop = Interruption.requested
            var timeDue = settings.checkpointSeconds > 0 && Date().timeIntervalSince(lastCheckpoint) >= settings.checkpointSeconds
            if let sync {
                let agreed = try sync.reduce(trainable, StepAgreement(loss: loss, stop: stop != nil, checkpointDue: timeDue))
                loss = agreed.loss
                stop = agreed.stop ? (stop ?? SIGTERM) : nil
                timeDue = agreed.checkpointDue
            }
            // The reduced gradient's norm: every process clips (and steps) alike.
            let norm = try update.clip(maxNorm: settings.gradClip)
            guard loss.isFinite, norm.isFinite else {
                throw TrainingError("non-finite \(loss.isFinite ? "gradient norm" : "loss") at optimizer step \(step + 1); "
                                    + "the weights were not updated and the last checkpoint is kept", onEveryRank: true)
            }
            let lrA = attnSchedule.lr(step: step), lrM = mainSchedule.lr(step: step)
            optimizer.groups[0].lr = lrA
            if optimizer.groups.count > 1 { optimizer.groups[1].lr = lrM }
            try update.step()
            optimizer.zeroGrad()
            step += 1
            history.append(loss)
            onStep(StepReport(step: step, totalSteps: total, tokens: step * settings.tokensPerStep,
                              totalTokens: total * settings.tokensPerStep, loss: loss, gradNorm: Double(norm),
                              lrMain: lrM, lrAttention: lrA, seconds: Date().timeIntervalSince(started)))
            let byStep = settings.checkpointEvery > 0 && step % settings.checkpointEvery == 0
            if (byStep || timeDue) && step < total {
                try onCheckpoint(checkpoint(step: step, lossHistory: history))
                lastCheckpoint = Date()
            }
            // Ctrl-C / SIGTERM: the safe point is between optimizer steps; keep the progress made.
            if let signal = stop, step < total {
                try onCheckpoint(checkpoint(step: step, lossHistory: history))
                throw Interrupted(signal: signal, kept: "a checkpoint at optimizer step \(step) of \(total)")
            }
        }
        for p in student.parameters { p.requiresGrad = false; p.grad = nil }
        return history
    }

    /// Forward and backward over the step's micro-batches (this process's slice of them under `sync`);
    /// returns the step's mean loss (this process's weighted part of it under `sync`).
    func accumulateGradients(step: Int) throws -> Double {
        let t = settings.seqLen
        let share = sync?.share(batch: settings.batch) ?? .whole(batch: settings.batch)
        let passes = share.passes(microBatch: settings.microBatch)
        var lossSum = 0.0, weighted = 0.0
        // A rank with no sequences in this step still sums along, as the others do.
        if passes.isEmpty, let sync { _ = sync.overlap(trainable, layers: student.layers.map(\.parameters)) }
        for (n, pass) in passes.enumerated() {
            var inputs: [Int32] = [], targets: [Int32] = []
            inputs.reserveCapacity(pass.count * t); targets.reserveCapacity(pass.count * t)
            for i in pass {
                let w = window(sample: step * settings.batch + i)
                inputs += w.dropLast(); targets += w.dropFirst()
            }
            let tape = Tape()
            let loss = tape.withRecording { self.loss(inputs: inputs, targets: targets, batch: pass.count) }
            lossSum += Double(loss.item)
            weighted += Double(loss.item) * share.weight(of: pass)
            // The last pass's backward completes each layer's gradients in turn: a data-parallel reducer
            // may start summing them at once, while backward goes on below.
            if n == passes.count - 1, let sync {
                student.layerGradientsDone = sync.overlap(trainable, layers: student.layers.map(\.parameters))
            }
            defer { student.layerGradientsDone = nil }
            // A pass's mean loss weighs by its share of the global batch's tokens (1 / passes in one process).
            tape.backward(loss, seed: Float(pass.count) / Float(settings.batch))
        }
        // One process keeps its former arithmetic (the mean of equal passes) bit for bit.
        return sync == nil ? lossSum / Double(passes.count) : weighted
    }

    func loss(inputs: [Int32], targets: [Int32], batch: Int) -> Tensor {
        switch settings.objective {
        case .alignHiddenStates:
            return alignmentLoss(inputs, batch: batch)
        case .logits(let klWeight, let ceWeight):
            // The heads and the loss run fused over blocks of rows: no [tokens × vocab] logits of the
            // student or the teacher exist whole (the teacher's are made block by block beside the loss).
            // The teacher runs first, so its transient activations are gone before the student's tape fills.
            let kl = teacher != nil ? Float(klWeight) : 0
            let teacherHidden = kl > 0 ? teacher.map { $0.finalNormed($0.hiddenStates(inputs, batch: batch)) } : nil
            let hidden = student.finalNormed(student.hiddenStates(inputs, batch: batch))
            return fusedHeadLoss(hidden: hidden, head: student.lmHead, teacherHidden: teacherHidden, teacherHead: teacher?.lmHead,
                                 targets: ceWeight > 0 ? targets : nil, weights: .init(kl: kl, ce: Float(ceWeight)))
        }
    }

    /// Stage 1 (spec §1.2): every layer's student mixer reads the teacher's normalised hidden state;
    /// the residual stream advances with the teacher's attention output. Loss = mean over recurrent
    /// layers of the per-token RMS distance between the two attention outputs.
    func alignmentLoss(_ inputs: [Int32], batch: Int) -> Tensor {
        var losses: [Tensor] = []
        TeacherDrivenPass.run(teacher: teacher!, student: student, tokens: inputs, batch: batch) { layer in
            if let yS = layer.studentOutput { losses.append(rmsL2Loss(teacher: layer.teacherOutput, student: yS)) }
        }
        var total = losses[0]
        for extra in losses.dropFirst() { total = add(total, extra) }
        return scale(total, 1 / Float(losses.count))
    }
}
