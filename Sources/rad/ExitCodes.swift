import ArgumentParser
import Foundation

/// rad's exit codes are 0 (ok), 1 (a run failed) and 2 (invalid input). ArgumentParser reports a bad
/// command line with its own code 64 (EX_USAGE); this entry point maps that to 2 so that scripts see one
/// code for every kind of invalid input, reported as one `error:` line. Help, version and everything else
/// behave as ArgumentParser does.
extension Rad {
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            if exitCode(for: error) == .validationFailure {
                // One `error:` line like every other invalid input, with where to look for the usage.
                let verb = CommandLine.arguments.dropFirst().first { !$0.hasPrefix("-") }
                    .flatMap { name in configuration.subcommands.first { $0._commandName == name }?._commandName }
                let help = verb.map { "rad \($0) --help" } ?? "rad --help"
                FileHandle.standardError.write(Data(("error: \(message(for: error)) (see '\(help)')\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}
