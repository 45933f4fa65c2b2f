import Foundation
import Testing

/// `kill -9` of one rank of `mpirun -np 2 rad run` in the middle of a training stage, then the same
/// command again: the job resumes from rank 0's last checkpoint and ends with weights bit-identical to an
/// uninterrupted two-rank run; with the optimizer state whole on every rank (rank 0 killed, the one that
/// writes) and sharded (rank 1 killed; the checkpoint's moments were gathered from both ranks).
extension DataParallelCLITests {
    @Test(arguments: [(sharded: false, victim: 0), (sharded: true, victim: 1)])
    func killNineOfARankThenRerunResumesBitIdentically(_ c: (sharded: Bool, victim: Int)) throws {
        try Self.withJob { dir, manifest in
            // 100 optimizer steps of align (a checkpoint every 5), so that the kill lands well inside it.
            let settings = ["-s", "steps.align.tokens=12800"] + (c.sharded ? ["-s", "distributed={shard_optimizer: true, bucket_mb: 0.01}"] : [])
            let launcher = Self.launcher(["-np", "2"])
            let straight = try RadProcess.run(Self.args(manifest, dir, "straight") + settings, launcher: launcher)
            #expect(straight.status == 0, "\(straight.stdout)\n\(straight.stderr)")

            let args = Self.args(manifest, dir, "killed") + settings
            let cache = dir.appendingPathComponent("cache-killed").path
            let log = dir.appendingPathComponent("killed.log")
            let job = try KillResumeCLITests.start(Array(launcher.dropFirst()) + [RadProcess.executable.path] + args, log: log,
                                                   executable: URL(fileURLWithPath: launcher[0]))
            var deadline = Date().addingTimeInterval(120)
            var victim: pid_t?
            while job.isRunning && Date() < deadline {
                if KillResumeCLITests.hasCheckpoint(URL(fileURLWithPath: cache)), let p = Self.rankProcess(c.victim, cache: cache) { victim = p; break }
                usleep(5_000)
            }
            usleep(30_000)   // into the middle of a later optimizer step
            #expect(victim != nil && job.isRunning, "the job never checkpointed, or ended first: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
            if let victim { kill(victim, SIGKILL) }
            deadline = Date().addingTimeInterval(60)
            while job.isRunning && Date() < deadline { usleep(50_000) }
            if job.isRunning { job.terminate(); kill(job.processIdentifier, SIGKILL) }
            job.waitUntilExit()
            #expect(job.terminationStatus != 0)

            let resumed = try RadProcess.run(args, launcher: launcher)
            #expect(resumed.status == 0, "\(resumed.stdout)\n\(resumed.stderr)")
            #expect(resumed.stderr.contains("align: resuming at optimizer step "), "\(resumed.stderr.suffix(2000))")
            #expect(!resumed.stderr.contains("align: resuming at optimizer step 0 "))

            let a = try Data(contentsOf: dir.appendingPathComponent("out-straight/model.safetensors"))
            let b = try Data(contentsOf: dir.appendingPathComponent("out-killed/model.safetensors"))
            let at = resumed.stderr.components(separatedBy: "align: resuming at optimizer step ").last?.prefix(while: \.isNumber) ?? "?"
            print("data-parallel kill -9 (rank \(c.victim), sharded \(c.sharded)): resumed at align step \(at) of 100; "
                  + "weights bit-identical to the uninterrupted run: \(a == b)")
            #expect(a.count > 10_000 && a == b, "the resumed run's weights differ from the uninterrupted run's")
            #expect(!KillResumeCLITests.hasCheckpoint(URL(fileURLWithPath: cache)))
        }
    }
}
