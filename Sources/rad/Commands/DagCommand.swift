import ArgumentParser
import Foundation
import RadPipeline

extension DagRenderer.Format: ExpressibleByArgument {}

struct DagCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "dag", abstract: "Print the step graph as Mermaid or Graphviz dot.")

    @OptionGroup var manifest: ManifestOptions
    @Option(help: "mermaid or dot.")
    var format: DagRenderer.Format = .mermaid

    func run() throws {
        try reportingErrors {
            print(DagRenderer.render(StepGraph(manifest: try manifest.load()), format: format), terminator: "")
        }
    }
}
