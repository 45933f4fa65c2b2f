import RadBench
import RadModelZoo
import RadOps
import ArgumentParser
import Foundation
import RadPipeline

/// `rad bench`: RadOps kernels next to their ceilings (raw sgemm, memcpy), the two recurrence kernels,
/// and whole models (teacher and students: forward, training step, generation). The measuring lives in
/// `KernelBench`, `benchmarkRecurrences` and `ModelBench`; this command only picks and prints.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure kernels (GEMM vs cblas_sgemm, elementwise vs memcpy), recurrences and whole models.")

    @Option(help: "Threads for RadOps kernels and OpenBLAS (default: all cores).")
    var threads: Int?

    @Option(help: "Repetitions per measurement, the median is reported (default: 5 for kernels and recurrences, 3 for models).")
    var repetitions: Int?

    @Option(help: "Tokens per GEMM (rows of x); the teacher trains on 4 × 512.")
    var tokens = 2048

    enum Suite: String, ExpressibleByArgument, CaseIterable {
        case all, kernels, gemm, bandwidth, composite, recurrence, models
    }

    @Option(help: "Which measurements: all, kernels (= gemm, bandwidth, composite), gemm, bandwidth, composite, recurrence or models.")
    var only: Suite = .all

    @Option(help: "Teacher for the model benchmarks (a .gguf file or an HF folder).")
    var teacher = "assets/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"

    @Option(help: "Student architectures for the model benchmarks, comma-separated, or none (teacher only).")
    var students = StudentArchitectures.paperStudents.joined(separator: ",")

    @Option(help: "Model benchmarks: training batch × sequence length, e.g. 4x512.")
    var shape = "4x512"

    @Option(help: "Model benchmarks: contexts before the timed generation steps, comma-separated.")
    var contexts = "128,4096"

    @Flag(help: "Model benchmarks: train the students with activation checkpointing (each layer recomputed in the backward pass).")
    var activationCheckpointing = false

    @Flag(help: "Print JSON instead of tables.")
    var json = false

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if let repetitions, repetitions < 1 { throw ValidationError("--repetitions must be at least 1") }
        if tokens < 1 { throw ValidationError("--tokens must be at least 1") }
        if parsedShape == nil { throw ValidationError("--shape must be BATCHxSEQ_LEN with positive numbers, e.g. 4x512") }
        if parsedContexts == nil { throw ValidationError("--contexts must be positive integers separated by commas, e.g. 128,4096") }
        if studentList.isEmpty && students != "none" { throw ValidationError("--students must name an architecture or be none") }
    }

    var parsedShape: (batch: Int, seqLen: Int)? {
        let parts = shape.lowercased().split(separator: "x").compactMap { Int($0) }
        guard parts.count == 2, parts.allSatisfy({ $0 > 0 }) else { return nil }
        return (parts[0], parts[1])
    }

    var parsedContexts: [Int]? {
        let parts = contexts.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, parts.allSatisfy({ ($0 ?? 0) > 0 }) else { return nil }
        return parts.map { $0! }
    }

    var studentList: [String] { students == "none" ? [] : students.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }

    func wants(_ suite: Suite) -> Bool {
        only == suite || only == .all || (only == .kernels && [.gemm, .bandwidth, .composite].contains(suite))
    }

    func run() throws {
        try reportingErrors {
            if let threads { Parallel.setThreadCount(threads) }
            var report = BenchReport()
            var options = KernelBench.Options()
            options.repetitions = repetitions ?? 5
            options.tokens = tokens
            let rows = (wants(.gemm) ? KernelBench.gemm(options) : []) + (wants(.bandwidth) ? KernelBench.bandwidth(options) : [])
                + (wants(.composite) ? KernelBench.composite(options) : [])
            if !rows.isEmpty { report.kernels = rows }
            if wants(.recurrence) { report.recurrence = benchmarkRecurrences(repeats: repetitions ?? 5) }
            if wants(.models) {
                if only == .all && !FileManager.default.fileExists(atPath: teacher) {
                    Terminal.err("note: skipping the model benchmarks: no teacher at \(teacher) (scripts/fetch-assets.sh teacher)\n")
                } else {
                    let model = try ModelLoader.load(teacher, loadTokenizer: false).model
                    var o = ModelBench.Options()
                    o.repetitions = repetitions ?? 3
                    (o.batch, o.seqLen) = parsedShape!
                    o.contexts = parsedContexts!
                    o.architectures = studentList
                    o.activationCheckpointing = activationCheckpointing
                    report.models = try ModelBench.run(teacher: model, options: o) { Terminal.err("bench: \($0)\n") }
                }
            }
            print(json ? try report.jsonText() : report.text(repetitions: repetitions))
        }
    }
}

/// What `rad bench` measured, printed as JSON (`kernels`, `recurrence`, `models`; absent when not run)
/// or as Markdown tables.
struct BenchReport: Encodable {
    var kernels: [BenchRow]?
    var recurrence: [RecurrenceBenchResult]?
    var models: ModelBench.Result?

    func jsonText() throws -> String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try enc.encode(self), as: UTF8.self)
    }

    func text(repetitions: Int?) -> String {
        var out: [String] = []
        if let kernels {
            out.append("RadOps kernels, \(Parallel.threadCount) thread(s), median of \(repetitions ?? 5)\n" + KernelBench.table(kernels))
        }
        if let recurrence {
            out.append("Recurrence kernels (one layer), \(Parallel.threadCount) thread(s), median of \(repetitions ?? 5)\n"
                       + RecurrenceBenchResult.table(recurrence))
        }
        if let m = models {
            out.append("Models, \(m.threads) thread(s), batch \(m.batch) × \(m.seqLen), median of \(m.repetitions)\n" + m.table)
        }
        return out.joined(separator: "\n")
    }
}
