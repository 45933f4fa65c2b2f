import ArgumentParser
import RadPipeline

@main
struct Rad: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rad",
        abstract: "Convert softmax-attention transformers into RWKV-variant linear-attention models (RADLADS).",
        version: "0.1.0",
        subcommands: [ValidateCommand.self, PlanCommand.self, RunCommand.self, DagCommand.self, CacheCommand.self,
                      InspectCommand.self, ScoreCommand.self, GenerateCommand.self, EvalCommand.self,
                      ReportCommand.self, BenchCommand.self])
}
