import Foundation

/// Plain-text tables of evaluation results.
public enum EvalTable {
    public static func render(_ results: [TaskResult]) -> String {
        var lines = ["task            docs     acc  acc/char  paper metric"]
        for r in results {
            var line = left(r.task, 14) + String(format: " %5d  %6.4f    %6.4f  ", r.docs, r.acc, r.accPerChar)
                + r.paperMetric + String(format: " %.4f", r.paperScore)
            if let g = r.greedyAcc, let p = r.ppl { line += String(format: "  (greedy %.4f, ppl %.2f)", g, p) }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

    /// The teacher-vs-student table with the paper's relative score (s − r)/(t − r).
    public static func comparison(teacher: [TaskResult], students: [(String, [TaskResult])]) -> String {
        var header = left("task", 14) + " " + right("teacher", 9)
        for (name, _) in students { header += " " + right(name, 12) + " " + right("rel%", 8) }
        var lines = [header]
        for t in teacher {
            guard let task = EvalTask(rawValue: t.task) else { continue }
            var line = left(t.task, 14) + String(format: " %9.4f", t.paperScore)
            for (_, results) in students {
                guard let s = results.first(where: { $0.task == t.task }) else { line += "            -        -"; continue }
                let denom = t.paperScore - task.randomBaseline
                let rel = denom != 0 ? 100 * (s.paperScore - task.randomBaseline) / denom : .nan
                line += String(format: " %12.4f %8.1f", s.paperScore, rel)
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

    // String(format:) ignores the width of %@ on Linux, so text columns are padded here.
    static func left(_ s: String, _ width: Int) -> String { s.count >= width ? s : s + String(repeating: " ", count: width - s.count) }
    static func right(_ s: String, _ width: Int) -> String { s.count >= width ? s : String(repeating: " ", count: width - s.count) + s }
}
