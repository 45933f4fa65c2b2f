import ArgumentParser
import Foundation
import RadPipeline

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Zero-shot log-likelihood benchmarks (lambada, hellaswag, piqa, winogrande, arc_easy, arc_challenge).")

    @Option(name: .long, help: "A .gguf file or an HF model folder.") var model: String
    @Option(name: .long, parsing: .upToNextOption,
            help: "Tasks: \(EvalTask.allCases.map(\.rawValue).joined(separator: ", ")), or 'all'.") var task: [String] = ["all"]
    @Option(name: .long, help: "Documents per task (all when omitted).") var limit: Int?
    @Option(name: .long, help: "Folder of the benchmark request files.") var benchmarks: String = "assets/benchmarks"
    @Flag(name: .long, help: "Print JSON (an object for one task, an array for several).") var json = false

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        for t in task where t != "all" && EvalTask(rawValue: t) == nil {
            let names = EvalTask.allCases.map(\.rawValue)
            throw ValidationError("unknown task '\(t)' (known: \(names.joined(separator: ", ")))")
        }
    }

    func run() throws {
        try reportingErrors {
            var tasks: [EvalTask] = []
            for t in task.contains("all") ? EvalTask.allCases : task.compactMap(EvalTask.init(rawValue:)) where !tasks.contains(t) {
                tasks.append(t)
            }
            // Every task's requests first: a missing or bad benchmark file is reported before the model loads.
            let requests = try tasks.map { t in
                let path = (benchmarks as NSString).appendingPathComponent(t.fileName)
                let docs = try EvalRequestLoader.load(path, limit: limit)
                guard !docs.isEmpty else { throw DataError("\(path): no requests") }
                return docs
            }
            let (network, tokenizer) = try loadModelAndTokenizer(model)
            let evaluator = LogLikelihoodEvaluator(model: network, tokenizer: tokenizer)
            var results: [TaskResult] = []
            for (t, docs) in zip(tasks, requests) {
                let progress = json ? nil : ProgressLine(t.rawValue)
                results.append(try evaluator.evaluate(t, documents: docs, modelName: model) { done, total in
                    progress?.update(done: done, total: total, unit: "requests")
                })
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            if json {
                let data = results.count == 1 ? try encoder.encode(results[0]) : try encoder.encode(results)
                print(String(decoding: data, as: UTF8.self))
            } else {
                print(EvalTable.render(results))
            }
        }
    }
}
