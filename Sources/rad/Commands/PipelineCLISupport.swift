import RadModelZoo
import RadOps
import ArgumentParser
import Foundation
import RadPipeline

/// Options every manifest verb shares.
struct ManifestOptions: ParsableArguments {
    @Argument(help: "The manifest (YAML).")
    var manifest: String

    @Option(name: .customShort("s"), help: ArgumentHelp("Override a value: -s steps.distill.lr=2e-5 (repeatable).", valueName: "path=value"))
    var set: [String] = []

    /// `inputs`: nil for verbs that read only the document (`dag`); given, whether the files it names are checked.
    func load(workspace: ExportTarget.Workspace = .default, inputs: InputCheckOptions? = nil) throws -> Manifest {
        try ManifestLoader.load(manifest, overrides: set, workspace: workspace, memory: .onThisMachine(),
                                checkInputs: inputs.map { !$0.skipInputChecks } ?? false)
    }
}

/// `validate`, `plan` and `run` check that every file, folder and glob the manifest names exists.
struct InputCheckOptions: ParsableArguments {
    @Flag(help: "Do not check that the files, folders and globs the manifest names exist (e.g. to plan a paper manifest whose teacher is not downloaded).")
    var skipInputChecks = false
}

struct CacheOptions: ParsableArguments {
    @Option(name: .customLong("cache"), help: "Artifact cache folder (default: $RAD_CACHE or ./.rad).")
    var cache: String?

    @Option(name: .customLong("runs"), help: "Folder of run records.")
    var runs: String = RunRecord.defaultRunsFolder

    func store() throws -> ArtifactStore { try ArtifactStore(root: ArtifactStore.defaultRoot(option: cache)) }
    var runsRoot: URL { URL(fileURLWithPath: runs) }
    /// The folders an export must not touch.
    var workspace: ExportTarget.Workspace { .init(cacheRoot: ArtifactStore.defaultRoot(option: cache), runsRoot: runsRoot) }
}

enum Terminal {
    static func err(_ s: String) { FileHandle.standardError.write(Data(s.utf8)) }
    static var stderrIsTerminal: Bool { isatty(2) == 1 }
}

/// Maps library errors to messages and exit codes: 2 for invalid input (manifest, overrides, step
/// names, and any `InvalidInputError`: bad model files, options, text), 1 for a failure while running.
/// Never a stack trace. Every verb runs its body through this.
func reportingErrors<T>(_ body: () throws -> T) throws -> T {
    do { return try body() }
    catch let e as ExitCode { throw e }
    catch let f as ManifestLoader.Failure {
        Terminal.err(f.rendered + "\n")
        let n = f.diagnostics.count
        Terminal.err("\(n) error\(n == 1 ? "" : "s")\n")
        throw ExitCode(2)
    } catch let e as RunInputError {
        Terminal.err("error: \(e.description)\n"); throw ExitCode(2)
    } catch is ReportedFailure {
        throw ExitCode(1)
    } catch let e as InvalidInputError {
        Terminal.err("error: \(e.description)\n"); throw ExitCode(2)
    } catch {
        Terminal.err("error: \(ErrorMessage.oneLine(error))\n"); throw ExitCode(1)
    }
}
