import ArgumentParser
import Foundation
import RadPipeline

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan", abstract: "Show what `rad run` would do per step (cached / run / resume), why, and what it costs.")

    @OptionGroup var manifest: ManifestOptions
    @OptionGroup var cache: CacheOptions
    @Flag(help: "Print the plan as JSON.")
    var json = false

    func run() throws {
        try reportingErrors {
            let m = try manifest.load(workspace: cache.workspace)
            ModelShapes.provider = ModelZooShapes()   // sizes from the GGUF header / config.json, no weights
            let plan = Planner(store: try cache.store(), runsRoot: cache.runsRoot).plan(m)
            print(json ? plan.json.prettyJSON : plan.table)
        }
    }
}
