import Foundation

/// Checks that every file, folder and glob a manifest names exists and is not empty, so that `validate`
/// and `plan` refuse what `run` would fail on after minutes of training (a missing teacher, a data glob
/// that matches nothing, a benchmarks folder without the tasks' request files).
///
/// Only the CLI's verbs ask for it (`ManifestLoader.load(checkInputs: true)`): a paper manifest whose
/// 7B teacher is not downloaded still validates as a document with `--skip-input-checks`.
struct InputChecker {
    let manifest: Manifest
    let root: YamlNode
    let bag: DiagnosticBag

    func check() {
        if let t = manifest.teacher {
            requireExisting(t.source, what: "teacher source", at: root["teacher"]?["source"],
                            hint: "fetch it (scripts/fetch-assets.sh teacher) or fix 'teacher.source'")
        }
        if let t = manifest.tokenizer {
            requireExisting(t, what: "tokenizer source", at: root["tokenizer"]?["source"], hint: "fix 'tokenizer.source'")
        }
        if let c = manifest.student?.checkpoint {
            requireExisting(c, what: "student checkpoint", at: root["student"]?["checkpoint"], hint: "fix 'student.checkpoint'")
        }
        for source in manifest.data { checkData(source) }
        for step in manifest.steps {
            guard let files = step.decoded.needs.benchmarks else { continue }
            checkBenchmarks(folder: files.folder, tasks: files.tasks, step: step)
        }
    }

    private func checkData(_ source: Manifest.DataSource) {
        let at = root["data"]?[source.name]?[source.kind.rawValue]
        let what = "data source '\(source.name)'"
        switch source.kind {
        case .binidx:
            guard let prefix = source.paths.first else { return }
            for ext in [".bin", ".idx"] where !FileManager.default.fileExists(atPath: prefix + ext) {
                bag.error("\(what): '\(ManifestSource.display(prefix + ext))' does not exist (a binidx prefix names PREFIX.bin and PREFIX.idx)",
                          at: at?.location, .io)
            }
        case .files, .jsonl:
            let written = at?.sequenceItems ?? at.map { [$0] } ?? []
            for (i, pattern) in source.paths.enumerated() {
                let location = (i < written.count ? written[i] : at)?.location
                let files = Fingerprinter.expand(glob: pattern)
                if files.isEmpty {
                    bag.error("\(what): '\(ManifestSource.display(pattern))' matches no file\(Self.nearestExisting(pattern))", at: location, .io)
                } else if files.allSatisfy({ Self.size($0) == 0 }) {
                    bag.error("\(what): '\(ManifestSource.display(pattern))' matches only empty files (\(files.count))", at: location, .io)
                }
            }
        }
    }

    private func checkBenchmarks(folder: String, tasks: [EvalTask], step: Manifest.Step) {
        let at = step.settingLocations["benchmarks"] ?? step.location
        let label = "step '\(step.name)' (\(step.kind))"
        let hint = "run scripts/fetch-assets.sh benchmarks, or set 'benchmarks:' in the step to the folder of the request files"
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            bag.error("\(label): benchmarks folder '\(ManifestSource.display(folder))' does not exist (\(hint))", at: at, .io); return
        }
        let missing = tasks.filter { Self.size((folder as NSString).appendingPathComponent($0.fileName)) == 0 }
        if !missing.isEmpty {
            bag.error("\(label): benchmarks folder '\(ManifestSource.display(folder))' has no \(missing.map(\.fileName).joined(separator: ", ")) (\(hint))",
                      at: at, .io)
        }
    }

    private func requireExisting(_ path: String, what: String, at node: YamlNode?, hint: String) {
        var isFolder: ObjCBool = false
        if !FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) {
            bag.error("\(what) '\(ManifestSource.display(path))' does not exist\(Self.nearestExisting(path)); \(hint)", at: node?.location, .io)
        } else if !isFolder.boolValue, Self.size(path) == 0 {
            bag.error("\(what) '\(ManifestSource.display(path))' is an empty file; \(hint)", at: node?.location, .io)
        }
    }

    /// Size in bytes, 0 for what is missing.
    static func size(_ path: String) -> Int64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
    }

    /// " (the folder '/a/b' does not exist)" for the deepest missing parent, so that a wrong folder is
    /// told apart from a wrong file name.
    static func nearestExisting(_ path: String) -> String {
        var dir = (path as NSString).deletingLastPathComponent
        var missing: String?
        while !dir.isEmpty, dir != "/", !FileManager.default.fileExists(atPath: dir) {
            missing = dir
            dir = (dir as NSString).deletingLastPathComponent
        }
        return missing.map { " (the folder '\(ManifestSource.display($0))' does not exist)" } ?? ""
    }
}
