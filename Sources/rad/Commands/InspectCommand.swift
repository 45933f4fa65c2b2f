import ArgumentParser
import Foundation
import RadModelZoo

/// `rad inspect FILE_OR_DIR`: what a checkpoint holds, without loading its weights.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Describe a checkpoint (.gguf, .safetensors or HF folder): config, tensors, parameters, tokenizer.")

    @Argument(help: "A .gguf file, a .safetensors file or an HF model folder.")
    var path: String

    func run() throws {
        do {
            print(try ModelInspection.report(path: path))
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(2)
        }
    }
}
