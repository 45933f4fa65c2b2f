import Foundation

/// The benchmark table: per task its metric and document count, each model's accuracy ± standard error,
/// and each student's relative score ± its own error, or a dash with the reason where the reference
/// (the teacher) is not meaningfully above chance (`EvalStatistics`); then held-out perplexity.
enum EvaluationSection {
    static func render(_ eval: CanonicalValue) -> String {
        let results = EvaluationResults(json: eval).models
        guard let reference = results.first(where: { $0.name == "teacher" }) ?? results.first else { return "" }
        let students = results.filter { $0.name != reference.name }
        var head: [HTML.Cell] = [.text("task", "t"), .text("metric", "t"), .text("docs"), .text(reference.name)]
        for s in students { head += [.text(s.name), .text("relative (\(s.name))")] }
        var tasks: [String] = []
        for m in results { for r in m.tasks where !tasks.contains(r.task) { tasks.append(r.task) } }
        var rows: [[HTML.Cell]] = []
        var reasons: [String] = []
        for task in tasks {
            let t = reference.tasks.first { $0.task == task }
            let any = t ?? results.lazy.compactMap { $0.tasks.first { $0.task == task } }.first!
            var row: [HTML.Cell] = [.text(task, "t"), .text(any.paperMetric, "t"), .text(String(any.docs)),
                                    t.map { accuracyCell($0, reference: any) } ?? .text("–")]
            for student in students {
                guard let s = student.tasks.first(where: { $0.task == task }) else { row += [.text("–"), .text("–")]; continue }
                row.append(accuracyCell(s, reference: any))
                guard let t else { row.append(.text("–")); continue }
                let outcome = EvalStatistics.relative(student: s.paperAccuracy, teacher: t.paperAccuracy, chance: t.chance)
                switch outcome {
                case .score(let r):
                    row.append(.text(EvalStatistics.format(outcome), verdict(r)))
                case .notMeaningful(let why):
                    let line = "\(task): \(why)"
                    if !reasons.contains(line) { reasons.append(line) }
                    row.append(.text("–", "dash", title: why))
                }
            }
            rows.append(row)
        }
        var perplexity: [HTML.Cell] = [.text("held-out perplexity", "t"), .text("ppl", "t"), .text("")]
        var anyPerplexity = false
        for (i, model) in ([reference] + students).enumerated() {
            // The perplexity as recorded (not recomputed from the rounded mean NLL).
            let ppl = model.heldoutPerplexity
            anyPerplexity = anyPerplexity || ppl != nil
            let tokens = model.heldout.map { " <small>(\(Units.count(Int64($0.tokens))) tok)</small>" } ?? ""
            perplexity.append(HTML.Cell(html: HTML.number(ppl, 3) + (ppl != nil ? tokens : "")))
            if i > 0 { perplexity.append(.text("")) }
        }
        if anyPerplexity { rows.append(perplexity) }
        var html = "<h2>Evaluation</h2>\n" + HTML.table(head: head, rows: rows, cssClass: "eval")
        if !reasons.isEmpty {
            html += "<p class=note>– no relative score where it would be noise:</p><ul class=note>"
                + reasons.map { "<li>\(HTML.escape($0))</li>" }.joined() + "</ul>\n"
        }
        html += "<p class=note>± is the standard error over documents, √(p(1−p)/(n−1)) as lm-evaluation-harness reports it. "
            + "relative = (student − chance)/(teacher − chance), the paper's formula (student/teacher where chance is 0, as for lambada); "
            + "its ± propagates both errors. It is shown only where the teacher is more than "
            + "\(Int(EvalStatistics.meaningfulSigmas)) standard errors above chance. Green: at least 90%; red: below 90% by more than two of its errors.</p>\n"
        return html
    }

    /// `0.4500 ± 0.0500`, with the model's own document count when it differs from the reference's.
    static func accuracyCell(_ r: TaskResult, reference: TaskResult) -> HTML.Cell {
        var html = HTML.escape(EvalStatistics.format(r.paperAccuracy))
        if r.docs != reference.docs { html += " <small>(\(r.docs) docs)</small>" }
        return HTML.Cell(html: html)
    }

    /// good: at least 90% (the paper's bar); bad: clearly below it; otherwise no colour.
    static func verdict(_ r: RelativeScore) -> String? {
        if r.value >= 0.9 { return "good" }
        if r.value + 2 * r.standardError < 0.9 { return "bad" }
        return nil
    }
}
