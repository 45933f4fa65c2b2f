import Foundation
import RadModelZoo

/// An `evaluate` step's results: per model, in the order evaluated, its task scores and held-out
/// perplexity. Written as the step artifact's meta and the run folder's `eval.json`, and read back here
/// only: by the step's table, the exported model card and the HTML report.
public struct EvaluationResults: Sendable {
    public struct Model: Sendable {
        /// `teacher` or a step name.
        public var name: String
        public var tasks: [TaskResult]
        public var heldout: ScoreResult?
        /// The perplexity as recorded (the report shows it rather than one recomputed from the mean NLL).
        public var heldoutPerplexity: Double?

        public init(name: String, tasks: [TaskResult], heldout: ScoreResult?) {
            self.name = name; self.tasks = tasks; self.heldout = heldout; self.heldoutPerplexity = heldout?.ppl
        }
    }

    public var models: [Model]

    public init(models: [Model]) { self.models = models }

    public func model(_ name: String) -> Model? { models.first { $0.name == name } }

    /// Decodes `json`'s form; what is missing or malformed is left out (an old or hand-edited eval.json).
    public init(json: CanonicalValue) {
        guard let models = json["models"]?.objectValue else { self.models = []; return }
        let order = json["model_order"]?.arrayValue?.compactMap(\.stringValue) ?? models.keys.sorted { a, b in
            a == "teacher" || (b != "teacher" && a < b)
        }
        let taskOrder = json["task_order"]?.arrayValue?.compactMap(\.stringValue)
        self.models = order.compactMap { name -> Model? in
            guard let entry = models[name] else { return nil }
            let tasks = entry["tasks"]?.objectValue ?? [:]
            let results: [TaskResult] = (taskOrder ?? tasks.keys.sorted()).compactMap { task in
                guard let t = tasks[task] else { return nil }
                return TaskResult(task: task, docs: Int(t["docs"]?.intValue ?? 0), acc: t["acc"]?.doubleValue ?? .nan,
                                  accPerChar: t["acc_per_char"]?.doubleValue ?? .nan, greedyAcc: t["greedy_acc"]?.doubleValue,
                                  ppl: t["ppl"]?.doubleValue, paperMetric: t["paper_metric"]?.stringValue ?? "acc",
                                  paperScore: t["paper_score"]?.doubleValue ?? .nan)
            }
            let heldout = entry["heldout"].flatMap { h -> ScoreResult? in
                guard let tokens = h["tokens"]?.intValue, let nll = h["nll"]?.doubleValue else { return nil }
                return ScoreResult(tokens: Int(tokens), nll: nll)
            }
            var model = Model(name: name, tasks: results, heldout: heldout)
            model.heldoutPerplexity = entry["heldout"]?["ppl"]?.doubleValue
            return model
        }
    }

    public var json: CanonicalValue {
        var out: [String: CanonicalValue] = [:]
        for m in models {
            var tasks: [String: CanonicalValue] = [:]
            for r in m.tasks {
                var o: [String: CanonicalValue] = ["docs": .int(Int64(r.docs)), "acc": .double(r.acc),
                                                   "acc_per_char": .double(r.accPerChar), "paper_metric": .string(r.paperMetric),
                                                   "paper_score": .double(r.paperScore)]
                if let g = r.greedyAcc { o["greedy_acc"] = .double(g) }
                if let p = r.ppl { o["ppl"] = .double(p) }
                tasks[r.task] = .object(o)
            }
            var entry: [String: CanonicalValue] = ["tasks": .object(tasks)]
            if let ppl = m.heldout {
                entry["heldout"] = .object(["ppl": .double(ppl.ppl), "nll": .double(ppl.nll), "tokens": .int(Int64(ppl.tokens))])
            }
            out[m.name] = .object(entry)
        }
        return .object(["models": .object(out),
                        "model_order": .array(models.map { .string($0.name) }),
                        "task_order": .array((models.first?.tasks ?? []).map { .string($0.task) })])
    }

    /// The comparison table (the teacher, or the first model, as the reference) and the perplexities.
    public var table: String {
        guard let reference = models.first(where: { $0.name == "teacher" }) ?? models.first else { return "" }
        var lines: [String] = []
        if !reference.tasks.isEmpty {
            lines.append(EvalTable.comparison(teacher: reference.tasks, students: models.filter { $0.name != reference.name }.map { ($0.name, $0.tasks) },
                                              referenceName: reference.name))
        }
        for m in models {
            if let ppl = m.heldout { lines.append("held-out perplexity " + EvalTable.left(m.name, 14) + String(format: " %9.3f  (%d tokens)", ppl.ppl, ppl.tokens)) }
        }
        return lines.joined(separator: "\n")
    }
}
