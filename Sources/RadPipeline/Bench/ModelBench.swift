import Foundation
import RadModelZoo

/// Throughput of whole models on this machine: the teacher's forward pass, a student's training step,
/// and per-token generation time at short and long contexts (the recurrent student's should not grow).
public enum ModelBench {
    public struct Result: Codable {
        public var threads: Int
        public var teacherForwardTokensPerSecond: Double
        public var studentForwardTokensPerSecond: Double
        public var studentTrainTokensPerSecond: Double
        public var teacherDecodeMs: [String: Double]
        public var studentDecodeMs: [String: Double]

        enum CodingKeys: String, CodingKey {
            case threads
            case teacherForwardTokensPerSecond = "teacher_forward_tokens_per_s"
            case studentForwardTokensPerSecond = "student_forward_tokens_per_s"
            case studentTrainTokensPerSecond = "student_train_tokens_per_s"
            case teacherDecodeMs = "teacher_decode_ms_per_token"
            case studentDecodeMs = "student_decode_ms_per_token"
        }
    }

    static func median(_ xs: [Double]) -> Double { let s = xs.sorted(); return s[s.count / 2] }

    static func time(_ reps: Int, _ body: () -> Void) -> Double {
        body()   // warm-up
        return median((0..<reps).map { _ in
            let t = Date(); body(); return Date().timeIntervalSince(t)
        })
    }

    /// Median ms per decoded token after a prompt of `context` tokens.
    static func decodeMs(_ model: DecoderModel, context: Int, tokens: Int = 16) -> Double {
        let vocab = model.config.vocabSize
        let prompt = (0..<context).map { Int32(($0 * 7919) % vocab) }
        let state = model.makeInferenceState(batch: 1, capacity: context + tokens + 1)
        _ = model.logits(prompt, batch: 1, states: state)
        var times: [Double] = []
        var next: Int32 = 1
        for _ in 0..<tokens {
            let t = Date()
            let logits = model.logits([next], batch: 1, states: state)
            times.append(Date().timeIntervalSince(t))
            next = Int32(Int(logits.data[0].bitPattern) % vocab)
        }
        return 1000 * median(times)
    }

    public static func run(teacher: DecoderModel, architecture: String, reps: Int = 3, batch: Int = 4, seqLen: Int = 512,
                           log: (String) -> Void = { _ in }) throws -> Result {
        let student = try StudentBuilder.convert(teacher: teacher, student: StudentDescriptor(
            architecture: try StudentArchitectures.make(architecture)), seed: 1)
        let tokens = (0..<(batch * seqLen)).map { Int32(($0 * 31337) % teacher.config.vocabSize) }
        let n = Double(tokens.count)
        log("teacher forward \(batch)x\(seqLen)")
        let teacherForward = n / time(reps) { _ = teacher.logits(tokens, batch: batch) }
        log("student forward \(batch)x\(seqLen)")
        let studentForward = n / time(reps) { _ = student.logits(tokens, batch: batch) }
        log("student forward+backward \(batch)x\(seqLen)")
        let params = student.parameters
        for p in params { p.requiresGrad = true }
        let targets = Array(tokens.dropFirst()) + [0]
        let train = n / time(reps) {
            let tape = Tape()
            let loss = tape.withRecording { crossEntropy(logits: student.logits(tokens, batch: batch), targets: targets) }
            tape.backward(loss)
            for p in params { p.grad = nil }
        }
        for p in params { p.requiresGrad = false }
        var teacherDecode: [String: Double] = [:], studentDecode: [String: Double] = [:]
        for context in [128, 4096] {
            log("decode at context \(context)")
            teacherDecode["\(context)"] = decodeMs(teacher, context: context)
            studentDecode["\(context)"] = decodeMs(student, context: context)
        }
        return Result(threads: Parallel.threadCount, teacherForwardTokensPerSecond: teacherForward,
                      studentForwardTokensPerSecond: studentForward, studentTrainTokensPerSecond: train,
                      teacherDecodeMs: teacherDecode, studentDecodeMs: studentDecode)
    }
}
