import ArgumentParser
import Foundation
import RadPipeline

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate", abstract: "Check manifests: every error at once, with file:line:col and did-you-mean.")

    @Argument(help: "Manifests to check.")
    var manifests: [String] = []

    @Option(name: .customShort("s"), help: ArgumentHelp("Override a value: -s steps.distill.lr=2e-5 (repeatable).", valueName: "path=value"))
    var set: [String] = []

    @OptionGroup var inputs: InputCheckOptions

    @Flag(help: "Print the JSON Schema of the manifest language and exit.")
    var printSchema = false

    func run() throws {
        if printSchema { print(JSONSchemaGenerator.schema().prettyJSON); return }
        guard !manifests.isEmpty else { throw ValidationError("give at least one manifest") }
        var failed = false
        for file in manifests {
            do {
                let m = try reportingErrors { try ManifestLoader.load(file, overrides: set, memory: .onThisMachine(), checkInputs: !inputs.skipInputChecks) }
                print("\(file): ok (\(m.name): \(m.steps.count) step\(m.steps.count == 1 ? "" : "s"))")
            } catch { failed = true }
        }
        if failed { throw ExitCode(2) }
    }
}
