import RadOps
import Foundation
import RadModelZoo

/// `evaluate`: zero-shot benchmarks and held-out perplexity of the teacher and/or converted students,
/// and the teacher-vs-student table with the paper's relative scores.
struct EvaluateStep: StepKind {
    struct Settings: Sendable {
        /// Steps or `teacher`, in the order evaluated.
        var models: [String]
        var tasks: [EvalTask]
        /// Documents per task (nil: all).
        var limit: Int?
        /// The `data:` entry of the perplexity (nil: no perplexity).
        var heldoutData: String?
        var seqLen: Int
        /// Score only the first N held-out tokens (nil: all).
        var heldoutTokens: Int?
        var threads: Int
        /// Absolute path of the folder of the tasks' request files.
        var benchmarks: String
    }

    /// Every rank scores its share of the batches.
    static let sharedByRanks = true

    /// Each model's scores are an entry of their own too (`ModelEvaluationEntries`).
    static func derivedKeys(_ key: CacheKey) -> [String] { ModelEvaluationEntries.keys(key) }

    /// The `benchmarks` default, relative to the manifest that writes the step.
    static let defaultBenchmarks = "assets/benchmarks"

    static let spec = StepKindSpec(
        name: "evaluate",
        summary: "benchmark accuracies and held-out perplexity of models",
        settings: [
            SettingSpec("models", .list(.modelRef, allowSingle: false), required: true, "steps (or `teacher`) to evaluate"),
            SettingSpec("tasks", .list(.choice(EvalTask.allCases.map(\.rawValue)), allowSingle: false), default: .array([]), "benchmarks to run"),
            SettingSpec("limit", .countOrAll(max: 1 << 40), default: .int(0), "documents per task (all, or 0: every document of the request files)"),
            SettingSpec("heldout_perplexity", .bool, default: .bool(true), "perplexity on the `heldout` data"),
            SettingSpec("data", .dataRef, default: .string("heldout"), "entry of `data:` for the perplexity"),
            SettingSpec("seq_len", .int(min: 1, max: 1 << 20), default: .int(512), "window length of the perplexity"),
            SettingSpec("heldout_tokens", .size(min: 0), default: .int(0), "score only the first N held-out tokens (0 = all)"),
            SettingSpec("threads", .int(min: 0, max: 4096), default: .int(0), cosmetic: true, "worker threads (0 = all cores)"),
            SettingSpec("benchmarks", .path, default: .string(defaultBenchmarks),
                        "folder of the tasks' request files (TASK.jsonl), relative to the manifest; scripts/fetch-assets.sh benchmarks fills assets/benchmarks"),
        ],
        modelInput: .none, producesModel: false)

    static func decode(_ r: StepRecord) throws -> Settings {
        let limit = Int(try r.int("limit")), heldoutTokens = Int(try r.int("heldout_tokens"))
        let tasks: [EvalTask] = try r.strings("tasks").map {
            guard let t = EvalTask(rawValue: $0) else { throw r.failure("tasks", "'\($0)', not a task,") }
            return t
        }
        return Settings(models: try r.strings("models"), tasks: tasks, limit: limit > 0 ? limit : nil,
                        heldoutData: try r.bool("heldout_perplexity") ? try r.string("data") : nil,
                        seqLen: Int(try r.int("seq_len")), heldoutTokens: heldoutTokens > 0 ? heldoutTokens : nil,
                        threads: Int(try r.int("threads")), benchmarks: try r.string("benchmarks"))
    }

    /// The request files by their content, not their folder: moving a checkout keeps the key, new requests change it.
    static func keySettings(_ settings: [String: CanonicalValue], fingerprinter: Fingerprinter) -> [String: CanonicalValue] {
        var s = settings
        guard let folder = s["benchmarks"]?.stringValue else { return s }
        let tasks = s["tasks"]?.arrayValue?.compactMap(\.stringValue).compactMap(EvalTask.init(rawValue:)) ?? []
        var files: [String: CanonicalValue] = [:]
        for t in tasks { files[t.fileName] = .string(fingerprinter.fingerprint(path: (folder as NSString).appendingPathComponent(t.fileName))) }
        s["benchmarks"] = .object(files)
        return s
    }

    /// `models: [teacher]` is a model input of its own, so the teacher is not a need here.
    static func needs(_ s: Settings) -> StepNeeds {
        StepNeeds(data: s.heldoutData.map {
            .init($0, missingDefault: "computes held-out perplexity on data '\($0)', which the manifest does not define "
                  + "(add data: { \($0): ... } or heldout_perplexity: false)")
        }, tokenizerFor: s.tasks.isEmpty ? nil : "runs benchmarks",
        benchmarks: s.tasks.isEmpty ? nil : .init(folder: s.benchmarks, tasks: s.tasks))
    }

    static func scoring(_ s: Settings) -> ScoringWindows? { ScoringWindows(seqLen: Int64(s.seqLen), models: s.models) }

    func run(_ s: Settings, _ context: StepContext) throws -> StepOutput {
        let models = s.models, tasks = s.tasks, limit = s.limit, seqLen = s.seqLen
        // Before, `threads` was accepted here and ignored.
        if s.threads > 0 { Parallel.setThreadCount(s.threads) }
        // Under `mpirun` every rank scores its share of each task's batches and of the perplexity windows.
        // What a rank reads alone (the benchmarks, each model) is agreed on before the ranks score together,
        // so that a file one rank cannot read stops every rank with one message.
        let share: WorkShare = MPIWorld.current.map { RankWork(world: $0) } ?? WholeWork()
        var heldoutTokens = try context.inputs["data"].map { try TokenStream.load($0) } ?? []
        if let cap = s.heldoutTokens, heldoutTokens.count > cap { heldoutTokens = Array(heldoutTokens.prefix(cap)) }
        let documents = try share.agreeing {
            // One token predicts nothing: its mean NLL would be 0/0.
            if !heldoutTokens.isEmpty, heldoutTokens.count < 2 {
                throw DataError("step '\(context.node.id)': the held-out data has 1 token, fewer than 2: nothing to score")
            }
            return try tasks.map { try EvalRequestLoader.load((s.benchmarks as NSString).appendingPathComponent($0.fileName), limit: limit) }
        }
        // Progress counts requests (one per answer choice) over every model and task of the step.
        let requestsPerModel = documents.reduce(0) { $0 + $1.reduce(0) { $0 + $1.count } }
        let totalRequests = Int64(requestsPerModel * models.count)
        var requestsDone: Int64 = 0
        var perModel: [EvaluationResults.Model] = []
        let entries = ModelEvaluationEntries.keys(context.key)
        for (i, name) in models.enumerated() {
            if i < entries.count, let cached = try ModelEvaluationEntries.cached(entries[i], name: name, context) {
                perModel.append(cached)
                requestsDone += Int64(requestsPerModel)
                context.say("\(context.node.id): \(name) cached (the same model, tasks and data as an earlier run's)")
                continue
            }
            let (model, tokenizer) = try share.agreeing {
                (name == "teacher" ? try context.teacherModel() : try ModelArtifact.load(try context.input("models[\(i)]")),
                 tasks.isEmpty ? nil : try context.tokenizerModel())
            }
            // Errors about this model's numbers name the step and the model (the teacher by its file too).
            let source = name == "teacher" ? context.sourcePath(role: "teacher").map { " (\($0))" } ?? "" : ""
            let modelName = "step '\(context.node.id)': model '\(name)'\(source)"
            var results: [TaskResult] = []
            if let tokenizer {
                let evaluator = LogLikelihoodEvaluator(model: model, tokenizer: tokenizer)
                for (task, docs) in zip(tasks, documents) {
                    let before = requestsDone
                    results.append(try evaluator.evaluate(task, documents: docs, modelName: modelName, share: share) { done, _ in
                        requestsDone = before + Int64(done)
                        context.report(tokens: requestsDone, of: totalRequests, loss: nil, unit: "req")
                    })
                }
            }
            var ppl: ScoreResult? = nil
            if !heldoutTokens.isEmpty {
                ppl = try Self.perplexity(heldoutTokens, model: model, seqLen: seqLen, share: share)
                    .requireFinite(model: modelName, input: "the held-out data")
            }
            let scores = EvaluationResults.Model(name: name, tasks: results, heldout: ppl)
            if i < entries.count { try ModelEvaluationEntries.store(scores, key: entries[i], context) }
            perModel.append(scores)
            context.say("\(context.node.id): \(name) done")
        }
        // The results are the artifact's meta; `materialize` shows them, fresh or cached. Every rank has
        // them; rank 0 stores them.
        if context.role == .follower { return StepOutput() }
        return StepOutput(meta: EvaluationResults(models: perModel).json)
    }

    /// `Scorer.score`, its batches shared out: each rank's batch sums, zeros elsewhere, summed over the
    /// ranks and added in batch order as one process adds them.
    static func perplexity(_ tokens: [Int32], model: DecoderModel, seqLen: Int, share: WorkShare) throws -> ScoreResult {
        let scorer = Scorer(model: model, seqLen: seqLen)
        let batches = scorer.batches(tokens)
        var values = [Double](repeating: 0, count: 2 * batches.count)
        try share.forEachUnit(of: batches.count) { b in
            let (sum, n) = scorer.nllSum(batches[b])
            values[2 * b] = sum; values[2 * b + 1] = Double(n)
        }
        try share.combine(&values)
        return Scorer.result(batches.indices.map { (values[2 * $0], Int(values[2 * $0 + 1])) })
    }

    /// Prints the comparison table and writes eval.json / eval.txt into the run folder, so that a run
    /// whose evaluation is cached still ends with the table (and `rad report` finds it).
    func materialize(_ s: Settings, _ context: StepContext, artifact: Artifact) throws {
        // The meta as `execute` returned it (the runner adds the node's name and key record).
        var json = artifact.meta
        if case .object(var meta) = json { meta["record"] = nil; meta["node"] = nil; json = .object(meta) }
        let table = EvaluationResults(json: json).table
        try Data(json.prettyJSON.utf8).write(to: context.runDirectory.appendingPathComponent("eval.json"))
        try Data((table + "\n").utf8).write(to: context.runDirectory.appendingPathComponent("eval.txt"))
        print(table)
    }

    /// The evaluate steps whose `models:` name `model` (a step): an export of that model waits for them, so
    /// that its model card carries their results (`StepGraph`).
    static func evaluations(of model: String, in manifest: Manifest) -> [String] {
        manifest.steps.filter { $0.kind == spec.name && $0.models.contains(model) }.map(\.name)
    }
}
