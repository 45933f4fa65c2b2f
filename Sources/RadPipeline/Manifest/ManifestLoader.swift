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
                            memory: ManifestMemoryCheck? = nil) throws -> Manifest {
        var source = ManifestSource(environment: environment)
        do {
            let root = try source.load(file, overrides: overrides)
            let manifest = try ManifestValidator().validate(root, file: file)
            let exports = ExportTarget.diagnostics(manifest, root: root, workspace: workspace)
            if !exports.isEmpty { throw ManifestErrors(exports) }
            // `memory` (the CLI's `ManifestMemoryCheck.onThisMachine()`) refuses steps that cannot fit.
            if let tooLarge = memory?.diagnostics(manifest), !tooLarge.isEmpty { throw ManifestErrors(tooLarge) }
            return manifest
        } catch let e as ManifestErrors {
            throw Failure(diagnostics: e.diagnostics, sources: source.texts)
        }
    }
}
