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

    static func run(_ arguments: [String], cwd: URL? = nil) throws -> Result {
        let p = Process()
        p.executableURL = executable
        p.arguments = arguments
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
