import Foundation

/// Plain-text tables of evaluation results.
public enum EvalTable {
    public static func render(_ results: [TaskResult]) -> String {
        var lines = ["task            docs     acc  acc/char  paper metric"]
        for r in results {
            var line = String(format: "%-14@ %5d  %6.4f    %6.4f  %@ %.4f", r.task as NSString, r.docs, r.acc, r.accPerChar,
                              r.paperMetric as NSString, r.paperScore)
            if let g = r.greedyAcc, let p = r.ppl { line += String(format: "  (greedy %.4f, ppl %.2f)", g, p) }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

    /// The teacher-vs-student table with the paper's relative score (s − r)/(t − r).
    public static func comparison(teacher: [TaskResult], students: [(String, [TaskResult])]) -> String {
        var header = String(format: "%-14@ %9@", "task" as NSString, "teacher" as NSString)
        for (name, _) in students { header += String(format: " %12@ %8@", name as NSString, "rel%" as NSString) }
        var lines = [header]
        for t in teacher {
            guard let task = EvalTask(rawValue: t.task) else { continue }
            var line = String(format: "%-14@ %9.4f", t.task as NSString, t.paperScore)
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
}
