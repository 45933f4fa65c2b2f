import ArgumentParser
import Foundation
import RadPipeline

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run the steps of a manifest that are not cached, in dependency order.",
        discussion: "Under `mpirun -np N` the ranks train data-parallel (see the README, 'Several processes and machines').")

    @OptionGroup var manifest: ManifestOptions
    @OptionGroup var inputs: InputCheckOptions
    @OptionGroup var cache: CacheOptions
    @Option(help: "Stop after this step (runs only what it needs).")
    var until: String?
    @Option(help: "Recompute this step even if cached (repeatable).")
    var force: [String] = []
    @Option(help: "Name of this run's folder under runs/NAME (default: its start time and a random suffix).")
    var runId: String?

    func run() throws {
        Interruption.install()
        let world = try reportingErrors { try MPIWorld.start() }
        if world != nil, let job = MPIWorld.current { return try JobRun(world: job).run(self) }
        try reportingErrors { try runSteps(try manifest.load(workspace: cache.workspace, inputs: inputs), coordinator: nil) }
    }

    /// The run itself: a plain one, or rank 0's of a job (`coordinator` tells the other ranks).
    func runSteps(_ m: Manifest, coordinator: RunCoordinator?) throws {
        if let runId, runId == RunRecord.latestLink || runId.range(of: "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$", options: .regularExpression) == nil {
            throw RunInputError("--run-id '\(runId)' must be letters, digits, '.', '_' or '-' (at most 100, not 'latest')")
        }
        let store = try cache.store()
        let runner = Runner(manifest: m, store: store, registry: ExecutorRegistry.engine,
                            options: .init(until: until, force: Set(force), runsRoot: cache.runsRoot, runID: runId,
                                           isTerminal: Terminal.stderrIsTerminal, output: Terminal.err, coordinator: coordinator))
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
