import Foundation

/// The one entry point from a file name to a validated `Manifest`: read, `extends`, `vars`, `-s`
/// overrides, validation. Failures carry every diagnostic and the texts to render them with.
public enum ManifestLoader {
    public struct Failure: Error, CustomStringConvertible {
        public var diagnostics: [Diagnostic]
        public var sources: [String: String]
        /// Compiler-style text: each diagnostic with its source line and a caret.
        public var rendered: String { DiagnosticRenderer(sources: sources).render(diagnostics) }
        public var description: String { rendered }
    }

    /// `workspace` names the cache and runs folders of this invocation, which exports must not touch.
    public static func load(_ file: String, overrides: [String] = [],
                            environment: [String: String] = ProcessInfo.processInfo.environment,
                            workspace: ExportTarget.Workspace = .default,
                            memory: ManifestMemoryCheck? = nil, checkInputs: Bool = false) throws -> Manifest {
        var source = ManifestSource(environment: environment)
        do {
            let root = try source.load(file, overrides: overrides)
            // Export folders and (with `memory`, the CLI's `ManifestMemoryCheck.onThisMachine()`) steps that
            // cannot fit are checked in the same pass as the rest: every problem at once.
            var checks: [(Manifest, YamlNode) -> [Diagnostic]] = [{ ExportTarget.diagnostics($0, root: $1, workspace: workspace) }]
            if let memory { checks.append { m, _ in memory.diagnostics(m) } }
            return try ManifestValidator().validate(root, file: file, checkInputs: checkInputs, alsoCheck: checks)
        } catch let e as ManifestErrors {
            throw Failure(diagnostics: e.diagnostics, sources: source.texts)
        }
    }
}
