import Foundation
import Testing

/// The exported model card carries the evaluation of the exported model (issue 14): an export waits for
/// every evaluate step whose `models:` name its model, which `plan` and `dag` state. Before, the export ran
/// in the order written, and a manifest that evaluates after exporting (the quickstart) got no model-index.
@Suite struct ExportEvaluationCLITests {
    typealias Workspace = SafeExportCLITests.Workspace

    /// An evaluate step of `tune`, written after the export: held-out perplexity on the training stream.
    static func evaluation(heldoutTokens: Int = 64) -> [String] {
        ["-s", "steps.eval.kind=evaluate", "-s", "steps.eval.models=[tune]", "-s", "steps.eval.data=train",
         "-s", "steps.eval.seq_len=32", "-s", "steps.eval.heldout_tokens=\(heldoutTokens)"]
    }

    static func marker(_ w: Workspace) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: w.path("out/.rad-export.json")))
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    @Test func theCardOfAnExportWrittenBeforeItsEvaluationCarriesIt() throws {
        let w = try Workspace(); defer { w.cleanup() }
        let m = try w.manifest(to: "out")
        let r = try w.rad("run", m, Self.evaluation())
        #expect(r.status == 0, "\(r.stderr)")
        // The evaluation ran first.
        let order = r.stdout.split(separator: "\n").map(String.init)
        let eval = try #require(order.firstIndex { $0.hasPrefix("eval: ran") }), export = try #require(order.firstIndex { $0.hasPrefix("export: ran") })
        #expect(eval < export, "\(r.stdout)")
        let card = try String(contentsOfFile: w.path("out/README.md"), encoding: .utf8)
        let front = card.dropFirst(4).components(separatedBy: "\n---\n").first ?? ""
        #expect(front.contains("model-index:\n- name: \"exporter\"\n  results:") && front.contains("- {type: \"perplexity\", value: "), "\(front)")
        #expect(card.contains("## Evaluation (this run)\n\n```\nheld-out perplexity tune "), "\(card)")

        // plan and dag state the order the manifest does not write.
        let plan = try w.rad("plan", m, Self.evaluation() + ["--gflops", "100"])
        #expect(plan.status == 0 && plan.stdout.contains("after eval: the model card carries the evaluation of 'tune'"), "\(plan.stdout)\(plan.stderr)")
        let dag = try RadProcess.run(["dag", m.path] + Self.evaluation())
        #expect(dag.status == 0 && dag.stdout.contains("n_eval -->|evaluations[0]| n_export"), "\(dag.stdout)\(dag.stderr)")

        // Another evaluation of the same model re-exports into the same folder: the export's configuration
        // (its marker) is the model's, not its evaluation's.
        let before = try Self.marker(w)
        let again = try w.rad("run", m, Self.evaluation(heldoutTokens: 48))
        #expect(again.status == 0 && again.stdout.contains("export: ran"), "\(again.stdout)\(again.stderr)")
        let after = try Self.marker(w)
        #expect(NSDictionary(dictionary: before["configuration"] as! [String: Any]) == NSDictionary(dictionary: after["configuration"] as! [String: Any]))
        let newCard = try String(contentsOfFile: w.path("out/README.md"), encoding: .utf8)
        #expect(newCard != card && newCard.contains("model-index:"))
    }

    /// The teacher's and other students' results stay out of the card's model-index: it is the exported model's.
    @Test func theModelIndexIsTheExportedModelsOwn() throws {
        let w = try Workspace(); defer { w.cleanup() }
        let m = try w.manifest(to: "out")
        let other = ["-s", "steps.other.kind=finetune", "-s", "steps.other.tokens=128", "-s", "steps.other.seq_len=32", "-s", "steps.other.batch=4",
                     "-s", "steps.other.lr=1e-3"]
        let r = try w.rad("run", m, Self.evaluation() + ["-s", "steps.eval.models=[teacher, tune, other]"] + other)
        #expect(r.status == 0, "\(r.stderr)")
        let card = try String(contentsOfFile: w.path("out/README.md"), encoding: .utf8)
        let eval = try String(contentsOf: w.runs.appendingPathComponent("exporter/latest/eval.txt"), encoding: .utf8)
        func perplexity(_ model: String) -> String? {
            eval.split(separator: "\n").first { $0.hasPrefix("held-out perplexity \(model) ") }
                .map { String($0.split(separator: " ", omittingEmptySubsequences: true)[3]) }
        }
        let tune = try #require(perplexity("tune")), teacher = try #require(perplexity("teacher")), otherPPL = try #require(perplexity("other"))
        #expect(card.contains("- {type: \"perplexity\", value: \(tune)}"), "\(tune)\n\(card)")
        #expect(!card.contains("value: \(otherPPL)}") && !card.contains("value: \(teacher)}"), "\(card)")
        #expect(card.contains("held-out perplexity teacher") && !card.contains("held-out perplexity other"), "\(card)")
    }
}
