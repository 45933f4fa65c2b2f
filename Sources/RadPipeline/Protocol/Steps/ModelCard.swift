import Foundation
import RadModelZoo

/// The exported README.md: Hugging Face model-card metadata (license and base model from the teacher's
/// own metadata, tags, the evaluation as `model-index`), the recipe in words, the training summary of
/// every stage the model went through (its artifact's lineage), the evaluation table, and the resolved
/// manifest. The evaluation is that of the exported model (and the teacher beside it) by every evaluate
/// step whose `models:` name it: the graph runs those before the export.
enum ModelCard {
    /// What the teacher says about itself (GGUF `general.*` keys, or an HF folder's README front matter).
    struct TeacherFacts: Equatable {
        var license: String?
        /// `organization/Name-Size-Finetune` when the teacher names its organization, else its name.
        var baseModel: String?
    }

    /// `exported`: the step whose model is exported (its name in `evaluations`).
    static func markdown(manifest: Manifest, step: String, exported: String, model: DecoderModel, modelKey: String,
                         lineage: [CanonicalValue], evaluations: [EvaluationResults]) -> String {
        let teacher = manifest.teacher.map { teacherFacts(source: $0.source) } ?? TeacherFacts()
        let architecture = model.student?.architecture.name
        // Each evaluation of the exported model, with the teacher where the same step evaluated it.
        let evaluations = evaluations.map { EvaluationResults(models: $0.models.filter { $0.name == "teacher" || $0.name == exported }) }
            .filter { $0.model(exported) != nil }
        var s = frontMatter(name: manifest.name, teacher: teacher, architecture: architecture,
                            results: evaluations.compactMap { $0.model(exported) })
        s += "# \(manifest.name)\n\n"
        let from = teacher.baseModel.map { "`\($0)`" } ?? "`\(manifest.teacher?.source ?? "?")`"
        if let architecture {
            s += "A \(architecture) student converted from \(from) by rad with the RADLADS protocol "
                + "(Goldstein et al., 2025): the teacher's attention blocks are replaced by linear-attention time-mixers, "
                + "initialised from the teacher's weights, aligned to the teacher's attention outputs, then distilled from "
                + "its logits.\n\n"
        }
        s += "- parameters: \(model.parameterCount)\n- model artifact: `\(modelKey)`\n- exported by step `\(step)`\n"
        if let options = manifest.student?.options, !options.isEmpty {
            s += "- student options: " + options.keys.sorted().map { "`\($0)=\(options[$0]!.display)`" }.joined(separator: ", ") + "\n"
        }
        s += "\n"
        if !lineage.isEmpty {
            s += "## Recipe\n\n"
            for (i, stage) in lineage.enumerated() { s += "\(i + 1). \(recipeLine(stage))\n" }
            s += "\n## Training summary\n\n| step | kind | tokens | optimizer steps | wall-clock | final loss |\n|---|---|---:|---:|---:|---:|\n"
            for stage in lineage {
                let seconds = stage["seconds"]?.doubleValue
                s += "| \(stage["step"]?.display ?? "?") | \(stage["kind"]?.display ?? "?") | \(stage["tokens"]?.intValue.map { Units.count($0) } ?? "?") "
                    + "| \(stage["optimizer_steps"]?.display ?? "?") | \(seconds.map { Units.duration($0) } ?? "?") "
                    + "| \(stage["final_loss"]?.doubleValue.map { String(format: "%.4f", $0) } ?? "?") |\n"
            }
            s += "\n"
        }
        if !evaluations.isEmpty {
            s += "## Evaluation (this run)\n\n```\n\(evaluations.map(\.table).joined(separator: "\n\n"))\n```\n\n"
        }
        s += "## Resolved manifest\n\n```json\n\(manifest.resolved.prettyJSON)\n```\n"
        return s
    }

    /// The YAML block the Hub reads. Values are quoted JSON strings (valid YAML), so no name breaks it.
    /// `results`: the exported model's, one per evaluate step that scored it.
    static func frontMatter(name: String, teacher: TeacherFacts, architecture: String?, results: [EvaluationResults.Model]) -> String {
        func q(_ s: String) -> String { CanonicalValue.string(s).canonicalJSON }
        var lines = ["---"]
        if let l = teacher.license { lines.append("license: \(q(l))") }
        if let b = teacher.baseModel { lines.append("base_model: \(q(b))") }
        lines.append("pipeline_tag: text-generation")
        lines.append("tags:")
        for tag in ["rwkv", "radlads", "linear-attention", "distillation", "rad"] + [architecture].compactMap({ $0 }) { lines.append("- \(q(tag))") }
        // model-index: the exported model's results (the teacher's, where evaluated, are in the table below).
        let tasks = results.flatMap(\.tasks).filter(\.paperScore.isFinite), heldout = results.compactMap(\.heldout)
        if !tasks.isEmpty || !heldout.isEmpty {
            lines += ["model-index:", "- name: \(q(name))", "  results:"]
            for t in tasks {
                lines += ["  - task: {type: text-generation}", "    dataset: {name: \(q(t.task)), type: \(q(t.task))}",
                          "    metrics:", "    - {type: \(q(t.paperMetric)), value: \(String(format: "%.4f", t.paperScore))}"]
            }
            for h in heldout {
                lines += ["  - task: {type: text-generation}", "    dataset: {name: \"held-out text\", type: \"heldout\"}",
                          "    metrics:", "    - {type: \"perplexity\", value: \(String(format: "%.3f", h.ppl))}"]
            }
        }
        lines.append("---")
        return lines.joined(separator: "\n") + "\n\n"
    }

    /// "`align` (align_hidden_states): 64k tokens at seq_len 256, batch 8, lr quarter_cosine 0.003 → 0.0001; final loss 0.8980."
    static func recipeLine(_ stage: CanonicalValue) -> String {
        let kind = stage["kind"]?.stringValue ?? "?"
        let what: String
        switch kind {
        case "align_hidden_states": what = "stage 1, attention alignment: each new mixer learns to reproduce its teacher attention block's output"
        case "distill_logits": what = "stage 2, distillation: the whole student learns the teacher's next-token distribution (KL divergence)"
        case "finetune": what = "stage 3, fine-tuning at a longer context"
        default: what = kind
        }
        var parts: [String] = []
        if let t = stage["tokens"]?.intValue { parts.append("\(Units.count(t)) tokens") }
        if let l = stage["seq_len"]?.intValue { parts.append("seq_len \(l)") }
        if let b = stage["batch"]?.intValue { parts.append("batch \(b)") }
        if let lr = stage["lr"], let schedule = lr["schedule"]?.stringValue, let i = lr["init"]?.doubleValue {
            let f = lr["final"]?.doubleValue ?? i
            parts.append(f == i ? "lr \(schedule) \(i)" : "lr \(schedule) \(i) → \(f)")
        }
        var line = "`\(stage["step"]?.display ?? "?")` (\(kind)): \(what); " + parts.joined(separator: ", ")
        if let loss = stage["final_loss"]?.doubleValue, loss.isFinite { line += String(format: "; final loss %.4f", loss) }
        return line + "."
    }

    static func teacherFacts(source: String) -> TeacherFacts {
        if source.hasSuffix(".gguf"), let g = try? GGUFFile(path: source) {
            func m(_ k: String) -> String? { g.metadata["general." + k]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } }
            var base = m("name")
            if let org = m("organization"), let basename = m("basename") {
                base = org + "/" + ([basename] + [m("size_label"), m("finetune")].compactMap { $0 }).joined(separator: "-")
            }
            return TeacherFacts(license: m("license"), baseModel: base)
        }
        // An HF folder: its README's front matter, and the folder's name.
        var facts = TeacherFacts(license: nil, baseModel: URL(fileURLWithPath: source).lastPathComponent)
        if let data = FileManager.default.contents(atPath: (source as NSString).appendingPathComponent("README.md")),
           let text = String(data: data, encoding: .utf8), text.hasPrefix("---") {
            for line in text.split(separator: "\n").dropFirst().prefix(while: { $0 != "---" }) where line.hasPrefix("license:") {
                facts.license = line.dropFirst("license:".count).trimmingCharacters(in: .whitespaces.union(CharacterSet(charactersIn: "\"'")))
            }
        }
        return facts
    }
}
