import Foundation
import Testing

/// Runs the built `rad` executable as a user would, capturing its exit code and output.
struct RadProcess {
    static var executable: URL {
        // The test bundle sits in the build products folder next to the `rad` executable.
        let products = Bundle.main.bundleURL.deletingLastPathComponent()
        let candidates = [products.appendingPathComponent("rad"), Bundle.main.bundleURL.appendingPathComponent("rad")]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
    }

    struct Result { var status: Int32; var stdout: String; var stderr: String }

    /// Runs `rad` with `arguments`; `environment` adds variables, `launcher` runs it through another
    /// program (its path and arguments first, e.g. `setpriv` to run as another user).
    static func run(_ arguments: [String], cwd: URL? = nil, environment: [String: String] = [:],
                    launcher: [String] = []) throws -> Result {
        let p = Process()
        if let program = launcher.first {
            p.executableURL = URL(fileURLWithPath: program)
            p.arguments = Array(launcher.dropFirst()) + [executable.path] + arguments
        } else {
            p.executableURL = executable
            p.arguments = arguments
        }
        if !environment.isEmpty { p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        if let cwd { p.currentDirectoryURL = cwd }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
                      stderr: String(decoding: e, as: UTF8.self))
    }
}

@Suite struct CLITests {
    @Test func versionAndHelp() throws {
        let r = try RadProcess.run(["--help"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("rad"))
    }

    @Test func unknownVerbIsInvalidInput() throws {
        let r = try RadProcess.run(["frobnicate"])
        #expect(r.status != 0)
    }
}
