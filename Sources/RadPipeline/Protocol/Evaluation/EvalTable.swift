import Foundation

/// Plain-text tables of evaluation results, every accuracy with its standard error (`EvalStatistics`).
public enum EvalTable {
    /// One model's results (`rad eval`).
    public static func render(_ results: [TaskResult]) -> String {
        var lines = [left("task", 14) + " " + right("docs", 5) + "  " + left("acc ± stderr", 17) + left("acc/char ± stderr", 17)
                     + "  paper metric"]
        for r in results {
            var line = left(r.task, 14) + String(format: " %5d  ", r.docs)
                + left(EvalStatistics.format(Accuracy(r.acc, documents: r.docs)), 17)
                + left(EvalStatistics.format(Accuracy(r.accPerChar, documents: r.docs)), 17)
                + "  " + r.paperMetric + " " + EvalStatistics.format(r.paperAccuracy)
            if let g = r.greedyAcc, let p = r.ppl { line += String(format: "  (greedy %.4f, ppl %.2f)", g, p) }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

    /// The reference-vs-students table: each task's paper metric ± its standard error, and the paper's
    /// relative score (s − r)/(t − r) ± its own, or a dash explained under the table where the reference
    /// is not meaningfully above chance.
    public static func comparison(teacher: [TaskResult], students: [(String, [TaskResult])], referenceName: String = "teacher") -> String {
        let score = 17, rel = 16
        var header = left("task", 14) + " " + right("docs", 5) + "  " + right(referenceName, score)
        for (name, _) in students { header += "  " + right(name, score) + " " + right("rel%", rel) }
        var lines = [header]
        var dashes: [String] = []
        for t in teacher {
            guard EvalTask(rawValue: t.task) != nil else { continue }
            var line = left(t.task, 14) + String(format: " %5d  ", t.docs) + right(EvalStatistics.format(t.paperAccuracy), score)
            for (_, results) in students {
                guard let s = results.first(where: { $0.task == t.task }) else {
                    line += "  " + right("–", score) + " " + right("–", rel); continue
                }
                let outcome = EvalStatistics.relative(student: s.paperAccuracy, teacher: t.paperAccuracy, chance: t.chance)
                if case .notMeaningful(let why) = outcome, !dashes.contains("\(t.task): \(why)") { dashes.append("\(t.task): \(why)") }
                line += "  " + right(EvalStatistics.format(s.paperAccuracy), score) + " " + right(EvalStatistics.format(outcome), rel)
            }
            lines.append(line)
        }
        if !students.isEmpty {
            for d in dashes { lines.append("rel% – \(d)") }
        }
        return lines.joined(separator: "\n")
    }

    // String(format:) ignores the width of %@ on Linux, so text columns are padded here.
    static func left(_ s: String, _ width: Int) -> String { s.count >= width ? s : s + String(repeating: " ", count: width - s.count) }
    static func right(_ s: String, _ width: Int) -> String { s.count >= width ? s : String(repeating: " ", count: width - s.count) + s }
}
