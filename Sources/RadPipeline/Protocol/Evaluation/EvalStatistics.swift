import Foundation

/// An accuracy over `documents` documents with its standard error, as lm-evaluation-harness reports it:
/// the sample standard deviation of the 0/1 outcomes over sqrt(n), which for a proportion p is
/// sqrt(p(1 − p)/(n − 1)). With one document there is no sample deviation: the error is nil.
public struct Accuracy: Sendable, Equatable {
    public var value: Double
    public var documents: Int
    public var standardError: Double?

    public init(_ value: Double, documents: Int) {
        self.value = value; self.documents = documents
        standardError = EvalStatistics.standardError(of: value, documents: documents)
    }
}

/// The paper's relative score (s − r)/(t − r) of a student with its propagated standard error.
public struct RelativeScore: Sendable, Equatable {
    public var value: Double
    public var standardError: Double
}

/// A relative score where it means something; otherwise why it is left out (shown as a dash).
public enum RelativeOutcome: Sendable, Equatable {
    case score(RelativeScore)
    case notMeaningful(reason: String)

    public var score: RelativeScore? { if case .score(let s) = self { return s }; return nil }
}

/// The statistics of benchmark results shared by the printed tables (`rad eval`, the `evaluate` step) and
/// the HTML report, so the two never disagree.
public enum EvalStatistics {
    /// How many standard errors the teacher must stand above chance before a relative score is shown.
    public static let meaningfulSigmas = 2.0

    /// sqrt(p(1 − p)/(n − 1)) (lm-evaluation-harness's `mean_stderr` of 0/1 outcomes); nil for n < 2 or
    /// an accuracy that is not a number.
    public static func standardError(of p: Double, documents n: Int) -> Double? {
        guard n >= 2, p.isFinite, p >= 0, p <= 1 else { return nil }
        return (p * (1 - p) / Double(n - 1)).squareRoot()
    }

    /// rel = (s − r)/(t − r), r the task's chance accuracy (spec §5; with r = 0, as for lambada, rel = s/t).
    /// Its error propagates both accuracies' (first order, as independent):
    /// se_rel = sqrt(se_s² + rel²·se_t²)/(t − r), which is rel·sqrt((se_s/(s − r))² + (se_t/(t − r))²)
    /// written so that it stays finite when the student sits exactly at chance.
    /// A dash (`notMeaningful`) unless the teacher is more than two standard errors above chance: a ratio
    /// over a denominator that is mostly noise (0.0 vs 0.0, five documents) says nothing.
    public static func relative(student s: Accuracy, teacher t: Accuracy, chance r: Double) -> RelativeOutcome {
        guard s.value.isFinite, t.value.isFinite else { return .notMeaningful(reason: "no accuracy") }
        guard let seT = t.standardError, let seS = s.standardError else {
            return .notMeaningful(reason: "one document: no standard error")
        }
        let margin = t.value - r
        guard margin > meaningfulSigmas * seT else {
            return .notMeaningful(reason: String(format: "teacher %.3f is within %.0f standard errors (±%.3f) of chance %.2f",
                                                 t.value, meaningfulSigmas, seT, r))
        }
        let rel = (s.value - r) / margin
        let se = (seS * seS + rel * rel * seT * seT).squareRoot() / margin
        return .score(RelativeScore(value: rel, standardError: se))
    }

    /// `0.4500 ± 0.0500` (`0.4500 ± ?` with one document).
    public static func format(_ a: Accuracy) -> String {
        guard a.value.isFinite else { return "–" }
        return String(format: "%.4f ± ", a.value) + (a.standardError.map { String(format: "%.4f", $0) } ?? "?")
    }

    /// `91.2 ± 4.0%`, or a dash.
    public static func format(_ r: RelativeOutcome) -> String {
        guard let s = r.score else { return "–" }
        return String(format: "%.1f ± %.1f%%", 100 * s.value, 100 * s.standardError)
    }
}

extension TaskResult {
    /// The paper's metric of the task (`paper_score`) with its standard error.
    public var paperAccuracy: Accuracy { Accuracy(paperScore, documents: docs) }
    /// The chance accuracy of the task (0 for a task rad does not know).
    public var chance: Double { EvalTask(rawValue: task)?.randomBaseline ?? 0 }
}
