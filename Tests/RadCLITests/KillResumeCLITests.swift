import Foundation
import Testing

/// `kill -9` of a real `rad run` in the middle of a training stage, then `rad run` again: the second run
/// resumes from the stage's last checkpoint in the cache and ends with weights bit-identical to a run
/// that was never interrupted.
@Suite struct KillResumeCLITests {
    static func manifest(in dir: URL) throws -> URL {
        // Enough optimizer steps (2 stages × 200) that the kill lands well inside the first stage.
        try TinyConversion.manifest(in: dir, name: "killed", seed: 5, steps: """
          align:
            kind: align_hidden_states
            tokens: 25600
            seq_len: 32
            batch: 4
            lr: { schedule: quarter_cosine, init: 1e-3, final: 1e-4, warmup_steps: 5 }
            checkpoint_every: 10
          distill:
            kind: distill_logits
            after: align
            tokens: 25600
            seq_len: 32
            batch: 4
            lr: { schedule: constant, init: 1e-4, warmup_steps: 2 }
            checkpoint_every: 10
          export: { kind: export_hf, after: distill, to: out }

        """)
    }

    /// Starts `rad` with output to files (a pipe nobody reads could block it).
    static func start(_ arguments: [String], log: URL, executable: URL = RadProcess.executable) throws -> Process {
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let p = Process()
        p.executableURL = executable
        p.arguments = arguments
        let handle = try FileHandle(forWritingTo: log)
        p.standardOutput = handle
        p.standardError = handle
        try p.run()
        return p
    }

    /// Any checkpoint fully written into `cache` (its meta.json is the last file an entry gets).
    static func hasCheckpoint(_ cache: URL) -> Bool {
        let dir = cache.appendingPathComponent("checkpoints")
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return entries.contains { FileManager.default.fileExists(atPath: dir.appendingPathComponent("\($0)/meta.json").path) }
    }

    @Test func killNineThenRerunResumesBitIdentically() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rad-kill-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let manifest = try Self.manifest(in: dir)
        func args(_ name: String) -> [String] {
            ["run", manifest.path, "--cache", dir.appendingPathComponent("cache-\(name)").path,
             "--runs", dir.appendingPathComponent("runs-\(name)").path,
             "-s", "steps.export.to=" + dir.appendingPathComponent("out-\(name)").path]
        }

        let straight = try RadProcess.run(args("straight"))
        #expect(straight.status == 0, "\(straight.stderr)")

        // Killed: SIGKILL shortly after the first checkpoint of `align` lands in the cache.
        let cache = dir.appendingPathComponent("cache-killed")
        let victim = try Self.start(args("killed"), log: dir.appendingPathComponent("killed-1.log"))
        let deadline = Date().addingTimeInterval(300)
        while victim.isRunning && !Self.hasCheckpoint(cache) && Date() < deadline { usleep(2_000) }
        usleep(30_000)   // into the middle of a later optimizer step
        let wasRunning = victim.isRunning
        kill(victim.processIdentifier, SIGKILL)
        victim.waitUntilExit()
        let firstLog = (try? String(contentsOf: dir.appendingPathComponent("killed-1.log"), encoding: .utf8)) ?? ""
        #expect(wasRunning && victim.terminationReason == .uncaughtSignal && victim.terminationStatus == SIGKILL,
                "the run ended before it could be killed: \(firstLog.suffix(600))")

        let resumed = try RadProcess.run(args("killed"))
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stderr.contains("align: resuming at optimizer step "), "\(resumed.stderr.suffix(2000))")
        #expect(!resumed.stderr.contains("align: resuming at optimizer step 0 "))

        let a = try Data(contentsOf: dir.appendingPathComponent("out-straight/model.safetensors"))
        let b = try Data(contentsOf: dir.appendingPathComponent("out-killed/model.safetensors"))
        #expect(a.count > 10_000 && a == b, "the resumed run's weights differ from the uninterrupted run's")
        // Finished stages leave no checkpoint behind.
        #expect(!Self.hasCheckpoint(cache))
    }
}
