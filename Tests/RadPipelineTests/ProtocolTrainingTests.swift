import RadModelZoo
import RadOps
import Foundation
import Testing
import RadPipeline

/// The RADLADS stages on a tiny random teacher (Tests/RadModelZooTests/Fixtures/teachers).
@Suite struct ProtocolTrainingTests {
    static let teacherDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("RadModelZooTests/Fixtures/teachers/qwen2_untied_bias").path

    static func setup(_ arch: String = "rad-rwkv6") throws -> (teacher: DecoderModel, student: DecoderModel, stream: [Int32]) {
        let teacher = try ModelLoader.load(teacherDir, loadTokenizer: false).model
        let student = try StudentBuilder.convert(teacher: teacher, student: StudentDescriptor(
            architecture: try StudentArchitectures.make(arch)), seed: 11)
        var rng = InitRNG(seed: 2)
        // A repetitive stream (a few phrases) so that there is structure to learn.
        let phrases: [[Int32]] = (0..<6).map { _ in (0..<7).map { _ in Int32(rng.nextUInt64() % 89) } }
        var stream: [Int32] = []
        while stream.count < 4000 { stream += phrases[Int(rng.nextUInt64() % 6)] }
        return (teacher, student, stream)
    }

    static func settings(_ objective: StageObjective, steps: Int, lr: Double) -> TrainingSettings {
        var s = TrainingSettings(objective: objective, tokens: steps * 4 * 16, seqLen: 16, batch: 4, microBatch: 2,
                                 lrMain: LearningRateSchedule.constant(lr, warmupSteps: 0))
        s.checkpointEvery = 3
        return s
    }

    @Test(arguments: ["rad-rwkv6", "rad-rwkv7"])
    func alignmentLossFalls(_ arch: String) throws {
        let (teacher, student, stream) = try Self.setup(arch)
        let trainer = try StageTrainer(student: student, teacher: teacher,
                                       settings: Self.settings(.alignHiddenStates, steps: 12, lr: 3e-3), stream: stream)
        let history = try trainer.run()
        #expect(history.count == 12)
        let early = history.prefix(3).reduce(0, +) / 3, late = history.suffix(3).reduce(0, +) / 3
        #expect(late < early, "\(history)")
    }

    @Test func alignmentTrainsOnlyTheMixers() throws {
        let (teacher, student, stream) = try Self.setup()
        let embed = student.embedTokens.toArray(), mlp = student.layers[0].mlp.up.toArray()
        let decay = (student.layers[0].mixer as! RadRWKV6Mixer).table["time_decay_w1"].toArray()
        _ = try StageTrainer(student: student, teacher: teacher,
                             settings: Self.settings(.alignHiddenStates, steps: 2, lr: 1e-2), stream: stream).run()
        #expect(student.embedTokens.toArray() == embed)
        #expect(student.layers[0].mlp.up.toArray() == mlp)
        #expect((student.layers[0].mixer as! RadRWKV6Mixer).table["time_decay_w1"].toArray() != decay)
    }

    @Test func distillationLossFalls() throws {
        let (teacher, student, stream) = try Self.setup()
        let trainer = try StageTrainer(student: student, teacher: teacher,
                                       settings: Self.settings(.logits(klWeight: 1, ceWeight: 0), steps: 10, lr: 3e-3), stream: stream)
        let history = try trainer.run()
        #expect(history.last! < history.first!, "\(history)")
    }

    /// Checkpoints are time-based by default (before, a manifest without `checkpoint_every` kept none until
    /// the end): with a 1 µs interval and no step-based ones, every step but the last leaves one.
    @Test func checkpointsAreTimeBasedByDefault() throws {
        #expect(TrainingSettings(objective: .alignHiddenStates, tokens: 64, seqLen: 16, batch: 4, microBatch: 4,
                                 lrMain: LearningRateSchedule.constant(1e-3, warmupSteps: 0)).checkpointSeconds == 600)
        let (teacher, student, stream) = try Self.setup()
        var s = Self.settings(.alignHiddenStates, steps: 4, lr: 1e-3)
        s.checkpointEvery = 0
        s.checkpointSeconds = 1e-6
        var saved: [Int] = []
        _ = try StageTrainer(student: student, teacher: teacher, settings: s, stream: stream)
            .run(onCheckpoint: { saved.append($0.step) })
        #expect(saved == [1, 2, 3])
        s.checkpointSeconds = 0
        saved = []
        _ = try StageTrainer(student: student, teacher: teacher, settings: s, stream: stream)
            .run(onCheckpoint: { saved.append($0.step) })
        #expect(saved.isEmpty)
    }

    @Test func resumeIsBitIdenticalToAnUninterruptedRun() throws {
        let settings = Self.settings(.logits(klWeight: 0.5, ceWeight: 0.5), steps: 7, lr: 2e-3)
        let (teacher, straight, stream) = try Self.setup()
        _ = try StageTrainer(student: straight, teacher: teacher, settings: settings, stream: stream).run()

        let (_, interrupted, _) = try Self.setup()
        var saved: TrainingCheckpoint?
        struct Stop: Error {}
        do {
            _ = try StageTrainer(student: interrupted, teacher: teacher, settings: settings, stream: stream)
                .run(onCheckpoint: { saved = $0; throw Stop() })   // "killed" right after the first checkpoint
        } catch is Stop {}
        #expect(saved?.step == 3)
        let (_, resumed, _) = try Self.setup()   // a fresh process: initial weights, then the checkpoint
        _ = try StageTrainer(student: resumed, teacher: teacher, settings: settings, stream: stream).run(resume: saved)
        for (a, b) in zip(straight.parameters, resumed.parameters) {
            #expect(a.toArray() == b.toArray(), "\(a.name ?? "?") differs")
        }
    }

    /// Recomputing each layer in the backward pass changes memory, not results: the same losses and
    /// the same weights, bit for bit (RAD-RWKV7's value residual crosses layers; a hybrid mixes kinds).
    @Test(arguments: ["rad-rwkv6", "rad-rwkv7", "hybrid"])
    func activationCheckpointingChangesNothing(_ arch: String) throws {
        func train(_ checkpointing: Bool) throws -> (losses: [Double], weights: [Float]) {
            let (teacher, converted, stream) = try Self.setup(arch == "hybrid" ? "rad-rwkv7" : arch)
            let student = arch != "hybrid" ? converted : try StudentBuilder.convert(teacher: teacher, student: StudentDescriptor(
                architecture: try StudentArchitectures.make("rad-rwkv7"), softmaxLayers: 1), seed: 11)
            var s = Self.settings(.logits(klWeight: 1, ceWeight: 0.5), steps: 4, lr: 1e-3)
            s.activationCheckpointing = checkpointing
            let losses = try StageTrainer(student: student, teacher: teacher, settings: s, stream: stream).run()
            return (losses, student.parameters.flatMap { $0.toArray() })
        }
        let plain = try train(false), recomputed = try train(true)
        #expect(plain.losses.count == 4 && plain.losses == recomputed.losses)
        #expect(plain.weights == recomputed.weights)
    }

    @Test func nonFiniteLossStopsWithoutUpdating() throws {
        let (teacher, student, stream) = try Self.setup()
        student.norm.data[0] = .nan
        let head = student.lmHead.toArray()
        let trainer = try StageTrainer(student: student, teacher: teacher,
                                       settings: Self.settings(.logits(klWeight: 1, ceWeight: 0), steps: 3, lr: 1e-3), stream: stream)
        do {
            _ = try trainer.run()
            Issue.record("expected a non-finite loss error")
        } catch {
            #expect("\(error)".contains("non-finite loss at optimizer step 1"))
        }
        #expect(student.lmHead.toArray() == head)
    }

    @Test func samplerIsAPermutationOfWindows() {
        let s = MagicPrimeSampler(tokenCount: 100_000, windowLength: 512)!
        #expect(s.prime % 3 == 2)
        let starts = Set((0..<s.windowCount).map { s.windowStart(sample: $0) })
        #expect(starts.count == s.windowCount)
        #expect(starts.allSatisfy { $0 % 512 == 0 && $0 + 513 <= 100_000 })
        #expect(MagicPrimeSampler(tokenCount: 1000, windowLength: 512) == nil)
    }
}
