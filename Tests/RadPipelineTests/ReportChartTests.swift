import Foundation
import Testing
import RadPipeline

/// The report's axis ticks: round 1-2-5 steps that cover the data, labels with just the decimals needed.
@Suite struct AxisTicksTests {
    func labels(_ t: AxisTicks) -> [String] { t.values.map(t.label) }

    @Test func unitInterval() {
        let t = AxisTicks(covering: 0, 1)
        #expect(t.step == 0.2 && t.lower == 0 && t.upper == 1)
        #expect(labels(t) == ["0", "0.2", "0.4", "0.6", "0.8", "1.0"])
    }

    @Test func lossRangeSnapsOutwardToTheStep() {
        let t = AxisTicks(covering: 2.43, 3.29)
        #expect(t.step == 0.2)
        #expect(labels(t) == ["2.4", "2.6", "2.8", "3.0", "3.2", "3.4"])
    }

    @Test func tokenCountsUseUnits() {
        let t = AxisTicks(covering: 2048, 65536, style: .count)
        #expect(labels(t) == ["0", "20k", "40k", "60k", "80k"])
        let m = AxisTicks(covering: 0, 2_500_000, style: .count)
        #expect(labels(m) == ["0", "0.5M", "1.0M", "1.5M", "2.0M", "2.5M"])
    }

    @Test func learningRates() {
        #expect(labels(AxisTicks(covering: 1e-4, 3e-3)) == ["0", "0.001", "0.002", "0.003"])
        #expect(labels(AxisTicks(covering: 1e-5, 3e-5)) == ["1.0e-5", "1.5e-5", "2.0e-5", "2.5e-5", "3.0e-5"])
        // One exponent along the axis: 0.8e-4 beside 1.0e-4, not 8e-5.
        #expect(labels(AxisTicks(covering: 8e-5, 1.2e-4)) == ["0.8e-4", "0.9e-4", "1.0e-4", "1.1e-4", "1.2e-4"])
        // A constant rate still gets an axis around it.
        let flat = AxisTicks(covering: 1e-4, 1e-4)
        #expect(flat.lower < 1e-4 && flat.upper > 1e-4 && flat.values.count >= 3)
        #expect(Set(labels(flat)).count == flat.values.count)
        let zero = AxisTicks(covering: 0, 0)
        #expect(zero.lower == 0 && zero.upper == 1)
    }

    @Test func stepsAreOneTwoFiveAndCoverTheData() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let scale = pow(10, Double.random(in: -6...7, using: &rng))
            let a = Double.random(in: -1...1, using: &rng) * scale, b = a + Double.random(in: 0.001...3, using: &rng) * scale
            let t = AxisTicks(covering: a, b)
            let mantissa = t.step / pow(10, log10(t.step).rounded(.down))
            #expect([1, 2, 5].contains { abs($0 - mantissa) < 1e-6 }, "step \(t.step) for [\(a), \(b)]")
            #expect(t.lower <= a + t.step * 1e-9 && t.upper >= b - t.step * 1e-9, "[\(t.lower), \(t.upper)] does not cover [\(a), \(b)]")
            #expect((2...8).contains(t.values.count), "\(t.values.count) ticks for [\(a), \(b)]")
            // Neighbouring ticks never share a label.
            #expect(Set(labels(t)).count == t.values.count, "\(labels(t))")
        }
    }
}

/// Standard errors and relative scores of benchmark results (`EvalStatistics`).
@Suite struct EvalStatisticsTests {
    static func close(_ a: Double?, _ b: Double, _ tolerance: Double = 1e-9) -> Bool { a.map { abs($0 - b) <= tolerance } ?? false }

    @Test func sampleStandardErrorAsLMEvalHarness() {
        // sqrt(p(1-p)/(n-1)).
        #expect(Self.close(EvalStatistics.standardError(of: 0.5, documents: 101), 0.05))
        #expect(Self.close(EvalStatistics.standardError(of: 0.75, documents: 4), 0.25))
        #expect(Self.close(Accuracy(0.2, documents: 26).standardError, (0.16 / 25).squareRoot()))
        // p = 0 and p = 1: no spread at all.
        #expect(EvalStatistics.standardError(of: 0, documents: 20) == 0)
        #expect(EvalStatistics.standardError(of: 1, documents: 20) == 0)
        // One document has no sample deviation; no documents, no number.
        #expect(EvalStatistics.standardError(of: 1, documents: 1) == nil)
        #expect(EvalStatistics.standardError(of: .nan, documents: 10) == nil)
        #expect(EvalStatistics.format(Accuracy(0.5, documents: 101)) == "0.5000 ± 0.0500")
        #expect(EvalStatistics.format(Accuracy(1, documents: 1)) == "1.0000 ± ?")
    }

    @Test func relativeScorePropagatesBothErrors() throws {
        // Chance 0 (lambada): rel = s/t, se = rel * sqrt((se_s/s)^2 + (se_t/t)^2).
        let t = Accuracy(0.8, documents: 101), s = Accuracy(0.6, documents: 101)
        let r = try #require(EvalStatistics.relative(student: s, teacher: t, chance: 0).score)
        let seS = (0.24 / 100).squareRoot(), seT = (0.16 / 100).squareRoot()
        #expect(Self.close(r.value, 0.75))
        #expect(Self.close(r.standardError, 0.75 * ((seS / 0.6) * (seS / 0.6) + (seT / 0.8) * (seT / 0.8)).squareRoot()))
        #expect(EvalStatistics.format(EvalStatistics.relative(student: s, teacher: t, chance: 0)) == "75.0 ± 7.2%")
        // Chance 0.25 (the paper's (s - r)/(t - r)): the same propagation on the distances above chance.
        let t4 = Accuracy(0.65, documents: 401), s4 = Accuracy(0.55, documents: 401)
        let r4 = try #require(EvalStatistics.relative(student: s4, teacher: t4, chance: 0.25).score)
        let a = s4.standardError! / 0.3, b = t4.standardError! / 0.4
        #expect(Self.close(r4.value, 0.75) && Self.close(r4.standardError, 0.75 * (a * a + b * b).squareRoot()))
        // A student exactly at chance: 0%, with a finite error (the first-order form does not divide by s - r).
        let atChance = try #require(EvalStatistics.relative(student: Accuracy(0.25, documents: 401), teacher: t4, chance: 0.25).score)
        #expect(atChance.value == 0 && atChance.standardError.isFinite && atChance.standardError > 0)
    }

    @Test func dashWhereTheTeacherIsNotMeaningfullyAboveChance() {
        // 0.0 vs 0.0 used to show a green 100%; a teacher at chance, or within 2 standard errors of it, gets a dash.
        let zero = Accuracy(0, documents: 20)
        guard case .notMeaningful(let why) = EvalStatistics.relative(student: zero, teacher: zero, chance: 0) else {
            Issue.record("0 vs 0 has a relative score"); return
        }
        #expect(why.contains("within 2 standard errors"))
        #expect(EvalStatistics.format(EvalStatistics.relative(student: zero, teacher: zero, chance: 0)) == "–")
        // Five documents: teacher 0.4 on a 4-choice task (se 0.245) is noise; the old table said -167%.
        #expect(EvalStatistics.relative(student: Accuracy(0, documents: 5), teacher: Accuracy(0.4, documents: 5), chance: 0.25).score == nil)
        // Just above and just below the bar: t - r against 2 * se_t.
        let n = 101
        let justAbove = Accuracy(0.36, documents: n), justBelow = Accuracy(0.33, documents: n)
        #expect(0.36 - 0.25 > 2 * justAbove.standardError! && 0.33 - 0.25 < 2 * justBelow.standardError!)
        #expect(EvalStatistics.relative(student: justAbove, teacher: justAbove, chance: 0.25).score != nil)
        #expect(EvalStatistics.relative(student: justBelow, teacher: justBelow, chance: 0.25).score == nil)
        // One document: no error, no relative score.
        guard case .notMeaningful(let one) = EvalStatistics.relative(student: Accuracy(1, documents: 1), teacher: Accuracy(1, documents: 1), chance: 0.5)
        else { Issue.record("n = 1 has a relative score"); return }
        #expect(one.contains("one document"))
    }

    @Test func comparisonTablePrintsErrorsAndDashes() {
        func result(_ task: String, _ metric: String, _ score: Double, _ docs: Int) -> TaskResult {
            TaskResult(task: task, docs: docs, acc: score, accPerChar: score, greedyAcc: nil, ppl: nil, paperMetric: metric, paperScore: score)
        }
        let teacher = [result("lambada", "greedy_acc", 0.8, 101), result("piqa", "acc", 0.5, 20)]
        let student = [result("lambada", "greedy_acc", 0.6, 101), result("piqa", "acc", 0.55, 20)]
        let table = EvalTable.comparison(teacher: teacher, students: [("student", student)])
        let lines = table.split(separator: "\n").map(String.init)
        #expect(lines[0].hasPrefix("task            docs") && lines[0].contains("teacher") && lines[0].contains("rel%"), "\(table)")
        #expect(lines[1].hasPrefix("lambada          101") && lines[1].contains("0.8000 ± 0.0400") && lines[1].contains("75.0 ± 7.2%"), "\(table)")
        #expect(lines[2].hasPrefix("piqa              20") && lines[2].hasSuffix("–") && !lines[2].contains("%"), "\(table)")
        #expect(lines.last?.hasPrefix("rel% – piqa: teacher 0.500 is within 2 standard errors") == true, "\(table)")
        // The reference column is named after the reference model when it is not the teacher.
        #expect(EvalTable.comparison(teacher: teacher, students: [], referenceName: "finetune").contains("finetune"))
    }
}
