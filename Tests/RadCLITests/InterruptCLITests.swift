import Foundation
import Testing

/// SIGINT and SIGTERM stop a run at the next safe point: the training stage writes a checkpoint (even
/// with `checkpoint_every: 0`), run.json records the interruption, rad says what it kept and the command
/// that resumes, and exits 130 / 143. Running that command again resumes and ends where an uninterrupted
/// run ends.
@Suite struct InterruptCLITests {
    static func interrupt(with signal: Int32, dir: URL, name: String) throws -> (process: Process, log: String, args: [String]) {
        let manifest = try KillResumeCLITests.manifest(in: dir)
        let args = ["run", manifest.path, "--cache", dir.appendingPathComponent("cache-\(name)").path,
                    "--runs", dir.appendingPathComponent("runs-\(name)").path,
                    "-s", "steps.export.to=" + dir.appendingPathComponent("out-\(name)").path,
                    "-s", "steps.align.checkpoint_every=0", "-s", "steps.align.tokens=128000"]
        let logURL = dir.appendingPathComponent("\(name).log")
        let p = try KillResumeCLITests.start(args, log: logURL)
        let deadline = Date().addingTimeInterval(300)
        func log() -> String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }
        while p.isRunning && !log().contains("running align") && Date() < deadline { usleep(5_000) }
        usleep(300_000)   // a few optimizer steps into the stage
        kill(p.processIdentifier, signal)
        p.waitUntilExit()
        return (p, log(), args)
    }

    @Test func ctrlCCheckpointsSaysHowToResumeAndExits130() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rad-int-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let (p, log, args) = try Self.interrupt(with: SIGINT, dir: dir, name: "int")
        #expect(p.terminationReason == .exit && p.terminationStatus == 130, "\(log.suffix(1500))")
        #expect(log.contains("stopping at the next safe point"), "\(log.suffix(800))")
        #expect(log.contains("step 'align' kept a checkpoint at optimizer step "), "\(log.suffix(800))")
        #expect(log.contains("resume with: rad run "), "\(log.suffix(800))")
        let record = try String(contentsOf: dir.appendingPathComponent("runs-int/killed/latest/run.json"), encoding: .utf8)
        #expect(record.contains("\"status\": \"interrupted\""))
        #expect(KillResumeCLITests.hasCheckpoint(dir.appendingPathComponent("cache-int")))
        // Nothing of the stopped step is left in tmp/.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("cache-int/tmp").path).isEmpty)

        let resumed = try RadProcess.run(args)
        #expect(resumed.status == 0, "\(resumed.stderr.suffix(1500))")
        #expect(resumed.stderr.contains("align: resuming at optimizer step "))
        #expect(!resumed.stderr.contains("align: resuming at optimizer step 0 "))

        let straight = try RadProcess.run(args.map { a in
            ["cache", "runs", "out"].reduce(a) { $0.replacingOccurrences(of: "/\($1)-int", with: "/\($1)-straight") }
        })
        #expect(straight.status == 0)
        let a = try Data(contentsOf: dir.appendingPathComponent("out-straight/model.safetensors"))
        let b = try Data(contentsOf: dir.appendingPathComponent("out-int/model.safetensors"))
        #expect(a.count > 10_000 && a == b, "the resumed run's weights differ from the uninterrupted run's")
    }

    @Test func sigtermExits143WithACheckpoint() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rad-term-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let (p, log, _) = try Self.interrupt(with: SIGTERM, dir: dir, name: "term")
        #expect(p.terminationReason == .exit && p.terminationStatus == 143, "\(log.suffix(1500))")
        #expect(log.contains("interrupted (SIGTERM)") && log.contains("resume with: "), "\(log.suffix(800))")
        #expect(KillResumeCLITests.hasCheckpoint(dir.appendingPathComponent("cache-term")))
    }
}
