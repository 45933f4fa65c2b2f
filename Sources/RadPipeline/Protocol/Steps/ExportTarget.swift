import Foundation

/// Where an `export_hf` step may write. rad never deletes or overwrites what it did not write: an export
/// goes only into a folder that is absent, empty, or a previous export of the same run (recognised by the
/// marker file rad writes into every export), and never onto the cache or runs folders or their parents.
public enum ExportTarget {
    public static let markerFile = ".rad-export.json"
    /// An export is built beside its target as `TARGET.partial-PID`.
    static let partialSuffix = ".partial-"

    /// The folders of one invocation that an export must not touch.
    public struct Workspace: Sendable {
        public var cacheRoot: URL
        public var runsRoot: URL
        public init(cacheRoot: URL, runsRoot: URL) { self.cacheRoot = cacheRoot; self.runsRoot = runsRoot }
        /// `--cache`/`$RAD_CACHE`/`./.rad` and `./runs`, as the CLI resolves them without options.
        public static var `default`: Workspace {
            Workspace(cacheRoot: ArtifactStore.defaultRoot(option: nil),
                      runsRoot: URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(RunRecord.defaultRunsFolder))
        }
    }

    /// nil when run `runName` may export to `path`; otherwise why not, as the end of a sentence
    /// ("… cannot write to 'x': <problem>"). `configuration` (`configuration(of:step:)`) tells a re-run of
    /// the same configuration, which replaces its own export, from a changed one (another architecture,
    /// other budgets), which must not overwrite the export it would replace.
    public static func problem(path: String, runName: String, configuration: CanonicalValue? = nil, workspace: Workspace?) -> String? {
        let target = canonical(path)
        if target == "/" { return "it is the root of the file system" }
        if let workspace {
            for (what, folder) in [("cache", workspace.cacheRoot), ("runs", workspace.runsRoot)] {
                let f = canonical(folder.path)
                if f == target { return "it is the \(what) folder" }
                if isAncestor(target, of: f) { return "it contains the \(what) folder \(folder.path)" }
                if what == "cache", isAncestor(f, of: target) { return "it is inside the cache folder \(folder.path)" }
            }
        }
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: target, isDirectory: &isDir) else { return nil }
        guard isDir.boolValue else { return "it is an existing file, and an export is a folder; choose a new or empty folder" }
        guard let entries = try? fm.contentsOfDirectory(atPath: target) else { return "it cannot be read" }
        if entries.isEmpty { return nil }
        if let marker = readMarkerRecord(in: target), let markerRun = marker["run"]?.stringValue {
            guard markerRun == runName else {
                return "it holds rad's export of run '\(markerRun)', not of '\(runName)'; choose another folder or remove that one yourself"
            }
            // Exports written before markers carried their configuration are replaced as before.
            guard let configuration, let old = marker["configuration"] else { return nil }
            let changes = RecordDiff.diff(old: old, new: configuration)
            if changes.isEmpty { return nil }
            let shown = changes.prefix(3).joined(separator: "; ") + (changes.count > 3 ? "; … (\(changes.count) changes)" : "")
            return "it holds rad's export of run '\(runName)' made from another configuration (\(shown)), which this run would overwrite; "
                + "export elsewhere (-s steps.STEP.to=PATH), name the run apart (-s name=NEW-NAME), or remove that folder yourself"
        }
        let shown = entries.sorted().prefix(3).map { "'\($0)'" }.joined(separator: ", ")
        return "it is a folder of \(entries.count) entr\(entries.count == 1 ? "y" : "ies") that rad did not write (\(shown)"
            + "\(entries.count > 3 ? ", …" : "")); choose a new or empty folder, or move its contents away yourself"
    }

    /// The validator's view: one diagnostic at each export step's `to:` that `problem` refuses.
    static func diagnostics(_ manifest: Manifest, root: YamlNode, workspace: Workspace) -> [Diagnostic] {
        manifest.steps.compactMap { step in
            guard let folder = step.decoded.writesFolder,
                  let problem = problem(path: folder.path, runName: manifest.name, configuration: configuration(of: manifest, step: step.name),
                                        workspace: workspace) else { return nil }
            let to = folder.path
            let at = root["steps"]?[step.name]?[folder.setting]?.location ?? step.location
            return Diagnostic("step '\(step.name)' cannot export to '\(to)': \(problem)", at: at, category: .io)
        }
    }

    /// The marker's content: the run that wrote the export and the configuration it came from.
    static func marker(runName: String, step: String, modelKey: String, configuration: CanonicalValue) -> Data {
        Data(CanonicalValue.object(["written_by": .string("rad"), "run": .string(runName), "step": .string(step),
                                    "model": .string(modelKey), "configuration": configuration]).prettyJSON.utf8)
    }

    /// What an export of `step` is made from, as the manifest writes it: every top-level entry but the
    /// steps (teacher, data, student, seed; `vars` and `extends` only through the values they produced),
    /// and the export step with the steps its model comes from (its `after:` chain), cosmetic settings left
    /// out. A changed evaluation or thread count is the same model; a changed architecture or budget is not.
    static func configuration(of manifest: Manifest, step: String) -> CanonicalValue {
        guard case .object(var top) = manifest.resolved else { return manifest.resolved }
        for k in ["steps", "vars", "extends"] { top[k] = nil }
        var steps: [String: CanonicalValue] = [:]
        var next: String? = step
        while let name = next, steps[name] == nil, let s = manifest.step(named: name) {
            var written = manifest.resolved["steps"]?[name]?.objectValue ?? [:]
            for k in written.keys where s.spec.setting(named: k)?.affectsOutput == false { written[k] = nil }
            steps[name] = .object(written)
            next = s.after
        }
        top["steps"] = .object(steps)
        return .object(top)
    }

    /// Removes the `TARGET.partial-PID` folders of processes that died while exporting (rad's own: they
    /// carry the marker, which is written first).
    static func removeDebris(of target: String) {
        let fm = FileManager.default
        let parent = (target as NSString).deletingLastPathComponent, base = (target as NSString).lastPathComponent
        for name in (try? fm.contentsOfDirectory(atPath: parent)) ?? [] where name.hasPrefix(base + partialSuffix) {
            guard let pid = ProcessLiveness.pid(in: name, after: partialSuffix), !ProcessLiveness.isAlive(pid) || pid == getpid() else { continue }
            let path = parent + "/" + name
            if readMarker(in: path) != nil { try? fm.removeItem(atPath: path) }
        }
    }

    static func readMarker(in folder: String) -> String? { readMarkerRecord(in: folder)?["run"]?.stringValue }

    static func readMarkerRecord(in folder: String) -> CanonicalValue? {
        guard let data = FileManager.default.contents(atPath: folder + "/" + markerFile),
              let v = try? JSONReader.parse(data), v["written_by"]?.stringValue == "rad" else { return nil }
        return v
    }

    /// Absolute, standardised, with the symbolic links of its existing part resolved.
    static func canonical(_ path: String) -> String {
        let abs = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var existing = (abs as NSString).standardizingPath
        var rest: [String] = []
        while !FileManager.default.fileExists(atPath: existing), existing != "/" {
            rest.insert((existing as NSString).lastPathComponent, at: 0)
            existing = (existing as NSString).deletingLastPathComponent
        }
        let resolved = (existing as NSString).resolvingSymlinksInPath
        return rest.reduce(resolved) { ($0 as NSString).appendingPathComponent($1) }
    }

    static func isAncestor(_ a: String, of b: String) -> Bool {
        a == "/" ? b != "/" : b.hasPrefix(a + "/")
    }
}
