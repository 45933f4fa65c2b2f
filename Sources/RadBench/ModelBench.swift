import RadOps
import Foundation
import RadModelZoo

/// Throughput of whole models on this machine: the teacher's forward pass, each student's forward pass
/// and training step (forward + backward of the cross-entropy loss), per-token generation time at a
/// short and a long context (the recurrent students' should not grow with the context), and the share
/// of a student's training step spent in its recurrence kernels.
public enum ModelBench {
    public struct Options: Sendable {
        /// Timed repetitions per figure (the median is reported), after one untimed warm-up run.
        public var repetitions = 3
        public var batch = 4
        public var seqLen = 512
        /// Prompt lengths before the timed generation steps.
        public var contexts = [128, 4096]
        /// Timed generation steps per context (the median step is reported).
        public var decodeTokens = 16
        public var architectures = StudentArchitectures.paperStudents
        /// Train the students with `DecoderModel.activationCheckpointing`.
        public var activationCheckpointing = false
        public init() {}
    }

    public struct TeacherFigures: Codable, Sendable {
        /// The forward to whole logits, tokens per second.
        public var forwardTokensPerSecond: Double
        /// What `rad score` runs: the forward, then the head fused with the scores (`Scorer.nllSum`).
        public var scoreTokensPerSecond: Double
        /// Median ms per generated token, keyed by context length.
        public var decodeMs: [String: Double]
        enum CodingKeys: String, CodingKey {
            case forwardTokensPerSecond = "forward_tokens_per_s", scoreTokensPerSecond = "score_tokens_per_s"
            case decodeMs = "decode_ms_per_token"
        }
    }

    public struct StudentFigures: Codable, Sendable {
        public var architecture: String
        public var forwardTokensPerSecond: Double
        /// Forward + backward of the cross-entropy loss (no optimizer update), tokens per second.
        public var trainTokensPerSecond: Double
        public var trainStepMs: Double
        /// Peak resident memory of the process during the training steps (Linux; nil elsewhere).
        public var trainPeakMB: Double?
        /// A stage-2 step as `distill_logits` runs it: the frozen teacher's forward, the student's forward
        /// and backward, the fused head and KL, and the AdamW update; tokens per second and the process's
        /// peak resident memory while it runs.
        public var distillTokensPerSecond: Double
        public var distillPeakMB: Double?
        public var decodeMs: [String: Double]
        /// The recurrence kernel ("gla" or "dplr"), its forward+backward time for one layer at the
        /// training shape, and that time for all recurrent layers over the training step time.
        public var recurrenceKernel: String
        public var recurrenceLayerMs: Double
        public var recurrenceLayers: Int
        public var recurrenceShare: Double
        enum CodingKeys: String, CodingKey {
            case architecture
            case forwardTokensPerSecond = "forward_tokens_per_s", trainTokensPerSecond = "train_tokens_per_s"
            case trainStepMs = "train_step_ms", trainPeakMB = "train_peak_rss_mb", decodeMs = "decode_ms_per_token"
            case distillTokensPerSecond = "distill_step_tokens_per_s", distillPeakMB = "distill_step_peak_rss_mb"
            case recurrenceKernel = "recurrence_kernel", recurrenceLayerMs = "recurrence_fwd_bwd_ms_per_layer"
            case recurrenceLayers = "recurrence_layers", recurrenceShare = "recurrence_share_of_train_step"
        }
    }

    public struct Result: Codable, Sendable {
        public var threads: Int
        public var batch: Int
        public var seqLen: Int
        public var repetitions: Int
        public var activationCheckpointing: Bool
        public var teacher: TeacherFigures
        public var students: [StudentFigures]
        enum CodingKeys: String, CodingKey {
            case threads, batch, repetitions, teacher, students
            case seqLen = "seq_len", activationCheckpointing = "activation_checkpointing"
        }
    }

    public static func run(teacher: DecoderModel, options: Options = Options(),
                           log: (String) -> Void = { _ in }) throws -> Result {
        let o = options
        let vocab = teacher.config.vocabSize
        let tokens = (0..<(o.batch * o.seqLen)).map { Int32(($0 * 31337) % vocab) }
        let n = Double(tokens.count)
        log("teacher forward \(o.batch)x\(o.seqLen)")
        let teacherForward = n / time(o.repetitions) { _ = teacher.logits(tokens, batch: o.batch) }
        log("teacher scoring forward \(o.batch)x\(o.seqLen)")
        let scorer = Scorer(model: teacher, seqLen: o.seqLen, batch: o.batch)
        let windows = (0..<o.batch).map { tokens[($0 * o.seqLen)..<(($0 + 1) * o.seqLen)] }
        let teacherScore = n / time(o.repetitions) { _ = scorer.nllSum(windows) }
        var teacherDecode: [String: Double] = [:]
        for context in o.contexts {
            log("teacher decode at context \(context)")
            teacherDecode["\(context)"] = decodeMs(teacher, context: context, tokens: o.decodeTokens)
        }
        var students: [StudentFigures] = []
        for name in o.architectures {
            let architecture = try StudentArchitectures.make(name)
            let student = try StudentBuilder.convert(teacher: teacher, student: StudentDescriptor(architecture: architecture), seed: 1)
            log("\(name) forward \(o.batch)x\(o.seqLen)")
            let forward = n / time(o.repetitions) { _ = student.logits(tokens, batch: o.batch) }
            log("\(name) forward+backward \(o.batch)x\(o.seqLen)\(o.activationCheckpointing ? " (activation checkpointing)" : "")")
            student.activationCheckpointing = o.activationCheckpointing
            ProcessMemory.resetPeak()
            let step = trainStepSeconds(student, tokens: tokens, batch: o.batch, repetitions: o.repetitions)
            let peak = ProcessMemory.peakResidentBytes().map { Double($0) / 1e6 }
            log("\(name) distillation step \(o.batch)x\(o.seqLen) (teacher forward, student forward+backward, KL, AdamW)")
            ProcessMemory.resetPeak()
            let distill = distillStepSeconds(student, teacher: teacher, tokens: tokens, batch: o.batch, repetitions: o.repetitions)
            let distillPeak = ProcessMemory.peakResidentBytes().map { Double($0) / 1e6 }
            var decode: [String: Double] = [:]
            for context in o.contexts {
                log("\(name) decode at context \(context)")
                decode["\(context)"] = decodeMs(student, context: context, tokens: o.decodeTokens)
            }
            log("\(name) recurrence kernel at the training shape")
            let c = teacher.config
            let shape = RecurrenceShape(batch: o.batch, length: o.seqLen, heads: c.numHeads, headSize: c.headDim)
            let kernel = architecture.recurrenceKernel
            let layerMs = recurrenceForwardBackwardMs(kernel: kernel, shape: shape, repetitions: o.repetitions)
            let layers = c.numLayers
            students.append(StudentFigures(
                architecture: name, forwardTokensPerSecond: forward, trainTokensPerSecond: n / step,
                trainStepMs: step * 1e3, trainPeakMB: peak, distillTokensPerSecond: n / distill, distillPeakMB: distillPeak, decodeMs: decode, recurrenceKernel: kernel, recurrenceLayerMs: layerMs,
                recurrenceLayers: layers, recurrenceShare: Double(layers) * layerMs / (step * 1e3)))
        }
        return Result(threads: Parallel.threadCount, batch: o.batch, seqLen: o.seqLen, repetitions: o.repetitions,
                      activationCheckpointing: o.activationCheckpointing, teacher: TeacherFigures(forwardTokensPerSecond: teacherForward, scoreTokensPerSecond: teacherScore, decodeMs: teacherDecode),
                      students: students)
    }

    /// One layer's recurrence forward (with DPLR checkpoints) + backward at `shape`, median ms.
    static func recurrenceForwardBackwardMs(kernel: String, shape: RecurrenceShape, repetitions: Int) -> Double {
        let results = benchmarkRecurrences(shapes: [shape], repeats: repetitions)
        return results.first { $0.kernel == kernel }!.forwardBackwardMs
    }

    /// Median seconds of one training step: forward, cross-entropy (fused with the head, as stage 3
    /// runs it), backward through the tape.
    static func trainStepSeconds(_ model: DecoderModel, tokens: [Int32], batch: Int, repetitions: Int) -> Double {
        let params = model.parameters
        for p in params { p.requiresGrad = true }
        defer { for p in params { p.requiresGrad = false; p.grad = nil } }
        let targets = Array(tokens.dropFirst()) + [0]
        return time(repetitions) {
            let tape = Tape()
            let loss = tape.withRecording {
                fusedHeadLoss(hidden: model.finalNormed(model.hiddenStates(tokens, batch: batch)), head: model.lmHead,
                              targets: targets, weights: .init(kl: 0, ce: 1))
            }
            tape.backward(loss)
            for p in params { p.grad = nil }
        }
    }

    /// Median seconds of one stage-2 step as `StageTrainer` runs it: the teacher's hidden states (no
    /// gradient), the student's forward and backward through the fused head and KL, clipping and AdamW.
    static func distillStepSeconds(_ student: DecoderModel, teacher: DecoderModel, tokens: [Int32], batch: Int,
                                   repetitions: Int) -> Double {
        let params = student.parameters
        for p in params { p.requiresGrad = true }
        defer { for p in params { p.requiresGrad = false; p.grad = nil } }
        let optimizer = AdamW(groups: [ParamGroup(params: params, lr: 1e-5)])
        return time(repetitions) {
            let tape = Tape()
            let loss = tape.withRecording {
                fusedHeadLoss(hidden: student.finalNormed(student.hiddenStates(tokens, batch: batch)), head: student.lmHead,
                              teacherHidden: teacher.finalNormed(teacher.hiddenStates(tokens, batch: batch)), teacherHead: teacher.lmHead,
                              weights: .init(kl: 1, ce: 0))
            }
            tape.backward(loss)
            _ = clipGradNorm(params, maxNorm: 1)
            optimizer.step()
            optimizer.zeroGrad()
        }
    }

    static func median(_ xs: [Double]) -> Double { let s = xs.sorted(); return s[s.count / 2] }

    /// Median seconds of `body` over `reps` runs after one untimed warm-up.
    static func time(_ reps: Int, _ body: () -> Void) -> Double {
        body()
        return median((0..<max(1, reps)).map { _ in
            let t = DispatchTime.now().uptimeNanoseconds
            body()
            return Double(DispatchTime.now().uptimeNanoseconds - t) / 1e9
        })
    }

    /// Median ms per generated token (batch 1, full logits each step) after a prompt of `context` tokens.
    static func decodeMs(_ model: DecoderModel, context: Int, tokens: Int) -> Double {
        let vocab = model.config.vocabSize
        let prompt = (0..<context).map { Int32(($0 * 7919) % vocab) }
        let state = model.makeInferenceState(batch: 1, capacity: context + tokens + 1)
        _ = model.logits(prompt, batch: 1, states: state)
        var times: [Double] = []
        var next: Int32 = 1
        for _ in 0..<max(1, tokens) {
            let t = DispatchTime.now().uptimeNanoseconds
            let logits = model.logits([next], batch: 1, states: state)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - t) / 1e9)
            next = Int32(Int(logits.data[0].bitPattern) % vocab)
        }
        return 1000 * median(times)
    }
}

extension ModelBench.Result {
    /// A Markdown table of the figures (the rows BENCHMARKS.md quotes).
    public var table: String {
        func f(_ x: Double, _ d: Int = 1) -> String { String(format: "%.\(d)f", x) }
        let contexts = teacher.decodeMs.keys.compactMap { Int($0) }.sorted()
        var lines = ["| model | forward tok/s | score tok/s | fwd+bwd tok/s | step ms | step peak MB | distill step tok/s | distill peak MB | "
                     + contexts.map { "decode ms @\($0)" }.joined(separator: " | ") + " | recurrence share |",
                     "|---|---:|---:|---:|---:|---:|---:|---:|" + contexts.map { _ in "---:|" }.joined() + "---:|"]
        lines.append("| teacher | \(f(teacher.forwardTokensPerSecond)) | \(f(teacher.scoreTokensPerSecond)) | - | - | - | - | - | "
                     + contexts.map { f(teacher.decodeMs["\($0)"] ?? .nan, 2) }.joined(separator: " | ") + " | - |")
        for s in students {
            lines.append("| \(s.architecture) | \(f(s.forwardTokensPerSecond)) | - | \(f(s.trainTokensPerSecond)) | "
                         + "\(f(s.trainStepMs, 0)) | \(s.trainPeakMB.map { f($0, 0) } ?? "-") | \(f(s.distillTokensPerSecond)) | "
                         + "\(s.distillPeakMB.map { f($0, 0) } ?? "-") | " + contexts.map { f(s.decodeMs["\($0)"] ?? .nan, 2) }.joined(separator: " | ")
                         + " | \(f(100 * s.recurrenceShare))% (\(s.recurrenceLayers) × \(f(s.recurrenceLayerMs, 2)) ms \(s.recurrenceKernel)) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
