import ArgumentParser
import Foundation
import RadPipeline

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run the steps of a manifest that are not cached, in dependency order.")

    @OptionGroup var manifest: ManifestOptions
    @OptionGroup var inputs: InputCheckOptions
    @OptionGroup var cache: CacheOptions
    @Option(help: "Stop after this step (runs only what it needs).")
    var until: String?
    @Option(help: "Recompute this step even if cached (repeatable).")
    var force: [String] = []

    func run() throws {
        Interruption.install()
        try reportingErrors {
            let m = try manifest.load(workspace: cache.workspace, inputs: inputs)
            let store = try cache.store()
            let runner = Runner(manifest: m, store: store, registry: ExecutorRegistry.engine,
                                options: .init(until: until, force: Set(force), runsRoot: cache.runsRoot,
                                               isTerminal: Terminal.stderrIsTerminal, output: Terminal.err))
            let summary: Runner.Summary
            do { summary = try runner.run() }
            catch let stop as Interrupted {
                let record = runner.runDirectory.map { " the run record is \($0.appendingPathComponent(RunRecord.fileName).path);" } ?? ""
                Terminal.err("rad: \(stop.description); finished steps are cached;\(record)\n"
                             + "resume with: \(ShellWords.commandLine(CommandLine.arguments))\n")
                throw ExitCode(stop.exitCode)
            }
            for o in summary.outcomes where o.outcome == .ran || o.outcome == .cached {
                print("\(o.id): \(o.outcome.rawValue)\(o.outcome == .ran ? String(format: " (%.1fs)", o.seconds) : "")")
            }
            print("run record: \(summary.runDirectory.appendingPathComponent(RunRecord.fileName).path)")
            // The run is done and cached; a report that cannot be written is a warning, not a failed run.
            do { print("report: \(try HTMLReport.write(runDirectory: summary.runDirectory).path)") }
            catch { printError("warning: \(ReportWriteError(folder: summary.runDirectory.path, underlying: error))") }
        }
    }
}
