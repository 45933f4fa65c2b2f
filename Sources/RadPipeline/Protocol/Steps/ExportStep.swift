import Foundation
import RadModelZoo

/// `export_hf`: the student as an HF folder (spec §4) with a model card (resolved manifest, cache keys,
/// token counts, evaluation results when the run has them).
struct ExportExecutor: StepExecutor {
    func execute(_ context: StepContext) throws -> StepOutput {
        let artifact = try context.input("model")
        let model = try ModelArtifact.load(artifact)
        guard let to = context.setting("to")?.stringValue else { throw StepFailure("export_hf needs `to`") }
        let tokenizer = try? context.tokenizerModel()
        let card = ModelCard.markdown(manifest: context.manifest, step: context.node.id, model: model, modelKey: artifact.key,
                                      runDirectory: context.runDirectory)
        let dtype = context.setting("dtype")?.stringValue ?? "f32"
        try HFExporter.export(model, tokenizer: tokenizer, to: to,
                              options: .init(bf16: dtype == "bf16", retieEmbeddings: context.setting("retie_embeddings")?.boolValue ?? false),
                              extraFiles: ["README.md": Data(card.utf8)])
        printProgressLine("\(context.node.id): wrote \(to)")
        return StepOutput(meta: .object(["to": .string(to), "model": .string(artifact.key), "dtype": .string(dtype)]))
    }
}

enum ModelCard {
    static func markdown(manifest: Manifest, step: String, model: DecoderModel, modelKey: String, runDirectory: URL) -> String {
        var s = "# \(manifest.name)\n\n"
        if let a = model.student?.architecture {
            s += "A \(a.name) student converted with rad (RADLADS protocol) from `\(manifest.teacher?.source ?? "?")`.\n\n"
        }
        s += "- parameters: \(model.parameterCount)\n- model artifact: `\(modelKey)`\n- exported by step `\(step)`\n\n"
        let evalPath = runDirectory.appendingPathComponent("eval.json")
        if let data = FileManager.default.contents(atPath: evalPath.path), let text = String(data: data, encoding: .utf8) {
            s += "## Evaluation (from this run)\n\n```json\n\(text)\n```\n\n"
        }
        s += "## Resolved manifest\n\n```json\n\(manifest.resolved.prettyJSON)\n```\n"
        return s
    }
}
