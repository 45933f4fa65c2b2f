import Foundation
import Testing

/// An export writes only into a folder that is absent, empty or rad's own export of the same run; every
/// other `to:` is refused at `validate` (and so at `plan` and `run`) with `file:line:col`, and nothing the
/// user had there is touched.
@Suite struct SafeExportCLITests {
    static let teacher = TinyConversion.teacher

    struct Workspace {
        let dir: URL
        init() throws {
            dir = FileManager.default.temporaryDirectory.appendingPathComponent("rad-export-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        }
        var cache: URL { dir.appendingPathComponent("cache") }
        var runs: URL { dir.appendingPathComponent("runs") }
        func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
        func cleanup() { try? FileManager.default.removeItem(at: dir) }

        /// A manifest of one optimizer step of fine-tuning and its export (`to:` on line 8, column 9).
        @discardableResult
        func manifest(name: String = "exporter", to: String, file: String = "m.yaml") throws -> URL {
            let prefix = dir.appendingPathComponent("stream")
            if !FileManager.default.fileExists(atPath: prefix.path + ".bin") { try TinyConversion.writeStream(prefix: prefix) }
            let url = dir.appendingPathComponent(file)
            try Data("""
            name: \(name)
            seed: 1
            steps:
              tune: { kind: finetune, tokens: 128, seq_len: 32, batch: 4, lr: 1e-4 }
              export:
                kind: export_hf
                after: tune
                to: \(to)
            teacher: { source: \(SafeExportCLITests.teacher) }
            data: { train: { binidx: \(prefix.path) } }
            student: { architecture: rad-rwkv6 }

            """.utf8).write(to: url)
            return url
        }

        func rad(_ verb: String, _ manifest: URL, _ extra: [String] = []) throws -> RadProcess.Result {
            try RadProcess.run([verb, manifest.path] + (verb == "validate" ? [] : ["--cache", cache.path, "--runs", runs.path]) + extra, cwd: dir)
        }
    }

    /// The refusal: exit 2, one diagnostic at the `to:` value (line 8, column 9 of the manifest above).
    func expectRefused(_ r: RadProcess.Result, _ why: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(r.status == 2, "\(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stderr.contains("m.yaml:8:9: error: step 'export' cannot export to"), "\(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stderr.contains(why), "\(r.stderr)", sourceLocation: sourceLocation)
        #expect(!r.stderr.contains("Fatal error") && !r.stderr.contains("NSCocoaErrorDomain"), sourceLocation: sourceLocation)
    }

    @Test func aFolderHoldingAUsersFileIsRefusedAndKept() throws {
        let w = try Workspace(); defer { w.cleanup() }
        try FileManager.default.createDirectory(atPath: w.path("victim"), withIntermediateDirectories: true)
        try Data("precious".utf8).write(to: URL(fileURLWithPath: w.path("victim/notes.txt")))
        let m = try w.manifest(to: "victim")
        for verb in ["validate", "plan", "run"] { expectRefused(try w.rad(verb, m), "that rad did not write ('notes.txt')") }
        #expect(try String(contentsOfFile: w.path("victim/notes.txt"), encoding: .utf8) == "precious")
    }

    @Test func theManifestsOwnFolderIsRefused() throws {
        let w = try Workspace(); defer { w.cleanup() }
        let m = try w.manifest(to: ".")
        // The folder holds the cache too, which is what the message names first.
        expectRefused(try w.rad("run", m), "it contains the cache folder")
        #expect(FileManager.default.fileExists(atPath: m.path))
    }

    @Test func theCacheAndRunsFoldersAndTheirParentsAreRefused() throws {
        let w = try Workspace(); defer { w.cleanup() }
        let m = try w.manifest(to: "fresh")
        #expect(try w.rad("run", m).status == 0)   // makes the cache and runs folders
        for (target, why) in [(w.cache.path, "it is the cache folder"), (w.runs.path, "it is the runs folder"),
                              (w.dir.path, "it contains the cache folder"), (w.cache.path + "/objects/x", "inside the cache folder")] {
            let r = try w.rad("run", m, ["-s", "steps.export.to=\(target)"])
            #expect(r.status == 2 && r.stderr.contains("-s steps.export.to=\(target):1:"), "\(r.stderr)")
            #expect(r.stderr.contains(why), "\(r.stderr)")
        }
        #expect(FileManager.default.fileExists(atPath: w.cache.appendingPathComponent("objects").path))
        #expect(FileManager.default.fileExists(atPath: w.runs.appendingPathComponent("exporter/latest/run.json").path))
    }

    @Test func anExistingFileIsRefusedAndKept() throws {
        let w = try Workspace(); defer { w.cleanup() }
        try Data("mine".utf8).write(to: URL(fileURLWithPath: w.path("model.bin")))
        expectRefused(try w.rad("run", try w.manifest(to: "model.bin")), "it is an existing file")
        #expect(try String(contentsOfFile: w.path("model.bin"), encoding: .utf8) == "mine")
    }

    @Test func systemFoldersAreRefusedAtValidate() throws {
        let w = try Workspace(); defer { w.cleanup() }
        for target in ["/", "/etc", "/home", "/usr"] {
            let r = try w.rad("validate", try w.manifest(to: target))
            expectRefused(r, target == "/" ? "root of the file system" : "that rad did not write")
        }
    }

    /// rad's own export of the same run is replaced (atomically, the marker says whose it is); another
    /// run's export is not; a folder left by a killed export is cleaned up.
    @Test func reExportReplacesOnlyItsOwnExport() throws {
        let w = try Workspace(); defer { w.cleanup() }
        let m = try w.manifest(to: "out")
        #expect(try w.rad("run", m).status == 0)
        let marker = w.path("out/.rad-export.json")
        #expect(try String(contentsOfFile: marker, encoding: .utf8).contains("\"run\": \"exporter\""))
        // A partial folder of a dead process (rad's: it carries the marker) beside the target.
        let dead = try Self.deadPID()
        try FileManager.default.createDirectory(atPath: w.path("out.partial-\(dead)"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: marker, toPath: w.path("out.partial-\(dead)/.rad-export.json"))
        try Data("truncated".utf8).write(to: URL(fileURLWithPath: w.path("out.partial-\(dead)/model.safetensors")))
        // Same run, a cosmetic change that re-exports: the folder is replaced.
        let again = try w.rad("run", m, ["--force", "export"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(FileManager.default.fileExists(atPath: w.path("out/model.safetensors")))
        #expect(!FileManager.default.fileExists(atPath: w.path("out.partial-\(dead)")))
        #expect(try FileManager.default.contentsOfDirectory(atPath: w.dir.path).filter { $0.contains(".partial-") }.isEmpty)
        // Another run name may not take it over.
        let other = try w.manifest(name: "intruder", to: "out", file: "m.yaml")
        expectRefused(try w.rad("validate", other), "holds rad's export of run 'exporter', not of 'intruder'")
    }

    static func deadPID() throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/true")
        try p.run()
        p.waitUntilExit()
        return p.processIdentifier
    }
}
