import RadOps
import Crypto
import Foundation
import RadModelZoo

/// `export_hf`: the student as an HF folder (spec §4) with a model card (resolved manifest, cache keys,
/// token counts, the results of every evaluate step of the exported model).
struct ExportHFStep: StepKind {
    static let files = ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "README.md"]

    /// The storage types the schema names; `HFExporter` writes bf16 and f32.
    enum DType: String, CaseIterable { case bf16, f16, f32 }

    struct Settings: Sendable {
        /// The output folder (cosmetic: only where `materialize` copies the artifact).
        var to: String
        var retieEmbeddings: Bool
        var dtype: DType
    }

    static let spec = StepKindSpec(
        name: "export_hf",
        summary: "write a Hugging Face folder (config.json, safetensors, tokenizer, model card)",
        settings: [
            SettingSpec("after", .stepRef, required: true, "step whose model is exported"),
            SettingSpec("to", .path, required: true, cosmetic: true, "output folder (a copy of the cached artifact)"),
            SettingSpec("retie_embeddings", .bool, default: .bool(false), "tie lm_head to the embeddings again if they are still equal"),
            SettingSpec("dtype", .choice(DType.allCases.map(\.rawValue)), default: .string(DType.bf16.rawValue), "storage type of the weights"),
        ],
        modelInput: .required, producesModel: false)

    static func decode(_ r: StepRecord) throws -> Settings {
        Settings(to: try r.string("to"), retieEmbeddings: try r.bool("retie_embeddings"), dtype: try r.choice("dtype"))
    }

    static func writesFolder(_ s: Settings) -> FolderOutput? { FolderOutput(setting: "to", path: s.to) }

    /// The model card carries the evaluation of the exported model, so every evaluate step of it runs first.
    static func needs(_ s: Settings) -> StepNeeds { StepNeeds(evaluationsOfItsModel: true) }

    static func problems(_ s: Settings) -> [SettingProblem] {
        // Before, `f16` was accepted and the weights were written as f32 all the same.
        s.dtype == .f16 ? [SettingProblem(setting: "dtype", "'f16' is not implemented yet (the exporter writes bf16 or f32); use bf16 or f32")] : []
    }

    /// Builds the folder inside the artifact; `to:` (cosmetic) is only where `materialize` copies it.
    func run(_ s: Settings, _ context: StepContext) throws -> StepOutput {
        let artifact = try context.input("model")
        let model = try ModelArtifact.load(artifact)
        let tokenizer = try? context.tokenizerModel()
        // The evaluate steps of this model are inputs (`StepGraph`): their results enter the key, so a cached
        // export's card always carries the evaluation it was made with.
        let evaluations = context.node.inputs.filter { $0.role.hasPrefix("evaluations[") }
            .map { EvaluationResults(json: context.inputs[$0.role]?.meta ?? .null) }
        let card = ModelCard.markdown(manifest: context.manifest, step: context.node.id,
                                      exported: context.node.step?.after ?? "", model: model, modelKey: artifact.key,
                                      lineage: artifact.meta["lineage"]?.arrayValue ?? [], evaluations: evaluations)
        let folder = context.workDirectory.appendingPathComponent("export")
        try HFExporter.export(model, tokenizer: tokenizer, to: folder.path,
                              options: .init(bf16: s.dtype == .bf16, retieEmbeddings: s.retieEmbeddings),
                              extraFiles: ["README.md": Data(card.utf8)])
        var files: [String: URL] = [:]
        for name in Self.files where FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path) {
            files[name] = folder.appendingPathComponent(name)
        }
        return StepOutput(files: files, meta: .object(["model": .string(artifact.key), "dtype": .string(s.dtype.rawValue)]))
    }

    /// Copies the cached folder to `to:`, only where `ExportTarget` allows it: built beside the target as
    /// `TO.partial-PID` (the marker file first, so that a folder left by a kill is recognisably rad's), then
    /// swapped in with one atomic rename; the previous export is removed only after the swap. Exports of
    /// the same folder by processes sharing the cache take turns (a lock in the cache).
    func materialize(_ s: Settings, _ context: StepContext, artifact: Artifact) throws {
        let to = s.to
        let target = ExportTarget.canonical(to)
        let workspace = ExportTarget.Workspace(cacheRoot: context.store.root, runsRoot: context.runsRoot)
        try context.store.withLock(named: "export-" + String(SHA256.hash(data: Data(target.utf8)).hex.prefix(24))) {
            let configuration = ExportTarget.configuration(of: context.manifest, step: context.node.id)
            if let problem = ExportTarget.problem(path: target, runName: context.manifest.name, configuration: configuration, workspace: workspace) {
                throw StepFailure("cannot export to \(to): \(problem)")
            }
            let fm = FileManager.default
            try FileFailure.wrap(path: (target as NSString).deletingLastPathComponent) {
                try fm.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            }
            ExportTarget.removeDebris(of: target)
            let partial = target + ExportTarget.partialSuffix + "\(getpid())"
            defer { if ExportTarget.readMarker(in: partial) != nil { try? fm.removeItem(atPath: partial) } }
            try FileFailure.wrap(path: partial) {
                try fm.createDirectory(atPath: partial, withIntermediateDirectories: false)
                try ExportTarget.marker(runName: context.manifest.name, step: context.node.id, modelKey: artifact.key,
                                        configuration: configuration)
                    .write(to: URL(fileURLWithPath: partial).appendingPathComponent(ExportTarget.markerFile))
            }
            for key in artifact.files.keys.sorted() where key.hasPrefix("files/") {
                let name = String(key.dropFirst("files/".count))
                let destination = URL(fileURLWithPath: partial).appendingPathComponent(name)
                try FileFailure.wrap(path: destination.path) { try fm.copyItem(at: artifact.file(name), to: destination) }
            }
            try AtomicRename.replace(target, with: partial)
        }
        context.say("\(context.node.id): wrote \(to)")
    }
}
