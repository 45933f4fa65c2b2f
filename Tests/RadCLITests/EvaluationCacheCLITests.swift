import Foundation
import Testing

/// Each model's scores of an `evaluate` step are a cache entry of their own: a variant of a recipe (another
/// student, the same teacher, tasks and data) takes the teacher's scores from the earlier run instead of
/// computing them again, and `rad cache gc --keep` keeps them with the step. Before, the step's one entry
/// was keyed by all its models, so any change to a student re-evaluated the teacher too.
@Suite struct EvaluationCacheCLITests {
    typealias Workspace = SafeExportCLITests.Workspace

    static let evaluation = ExportEvaluationCLITests.evaluation() + ["-s", "steps.eval.models=[teacher, tune]"]

    /// The value of `held-out perplexity MODEL` in a run's eval.txt.
    static func perplexity(_ model: String, _ w: Workspace) throws -> String? {
        let eval = try String(contentsOf: w.runs.appendingPathComponent("exporter/latest/eval.txt"), encoding: .utf8)
        return eval.split(separator: "\n").first { $0.hasPrefix("held-out perplexity \(model) ") }
            .map { String($0.split(separator: " ", omittingEmptySubsequences: true)[3]) }
    }

    @Test func aVariantReusesTheTeachersScores() throws {
        let w = try Workspace(); defer { w.cleanup() }
        let m = try w.manifest(to: "out")
        let first = try w.rad("run", m, Self.evaluation)
        #expect(first.status == 0, "\(first.stderr)")
        #expect((first.stdout + first.stderr).contains("eval: teacher done") && (first.stdout + first.stderr).contains("eval: tune done"), "\(first.stdout)")
        let teacher = try #require(try Self.perplexity("teacher", w)), tune = try #require(try Self.perplexity("tune", w))

        // The variant: another learning rate for the student.
        let variant = Self.evaluation + ["-s", "steps.tune.lr=3e-3", "-s", "steps.export.to=out-3e-3"]
        let second = try w.rad("run", m, variant)
        #expect(second.status == 0, "\(second.stderr)")
        #expect((second.stdout + second.stderr).contains("eval: teacher cached"), "\(second.stdout)")
        #expect(!(second.stdout + second.stderr).contains("eval: teacher done") && (second.stdout + second.stderr).contains("eval: tune done"), "\(second.stdout)")
        #expect(try Self.perplexity("teacher", w) == teacher)
        #expect(try Self.perplexity("tune", w) != tune, "the variant's student is another model")

        // The first run's student again: both models' scores are cached, and the table is the first run's.
        let third = try w.rad("run", m, Self.evaluation)
        #expect(third.status == 0 && (third.stdout + third.stderr).contains("eval: cached"), "\(third.stdout)\(third.stderr)")

        // gc keeping the variant alone deletes the first run's entries but keeps the teacher's scores
        // (the variant's too), which a run with a third student then finds.
        let gc = try RadProcess.run(["cache", "gc", "--cache", w.cache.path, "--keep", m.path] + variant)
        #expect(gc.status == 0, "\(gc.stdout)\(gc.stderr)")
        let fifth = try w.rad("run", m, Self.evaluation + ["-s", "steps.tune.lr=1e-2", "-s", "steps.export.to=out-1e-2"])
        #expect(fifth.status == 0 && (fifth.stdout + fifth.stderr).contains("eval: teacher cached"), "\(fifth.stdout)\(fifth.stderr)")
        #expect(try Self.perplexity("teacher", w) == teacher)
    }

    /// Another task list, data or limit is other scores: the teacher is evaluated again.
    @Test func otherTasksOrDataAreEvaluatedAgain() throws {
        let w = try Workspace(); defer { w.cleanup() }
        let m = try w.manifest(to: "out")
        #expect(try w.rad("run", m, Self.evaluation).status == 0)
        let longer = try w.rad("run", m, Self.evaluation + ["-s", "steps.eval.heldout_tokens=96"])
        #expect(longer.status == 0 && (longer.stdout + longer.stderr).contains("eval: teacher done") && !(longer.stdout + longer.stderr).contains("teacher cached"),
                "\(longer.stdout)\(longer.stderr)")
    }
}
