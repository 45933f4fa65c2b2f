import Foundation
import RadOps
import Testing

/// `mpirun -np 2 rad run`: two ranks train one conversion data-parallel, each on its slice of every batch,
/// and end with the one-process weights up to fp32 reduction order; two two-rank runs (shared memory,
/// TCP) agree bit for bit; ranks with different manifests are refused. Runs as root in CI.
@Suite(.serialized) struct DataParallelCLITests {
    static let mpirun = ["/usr/bin/mpirun", "/usr/local/bin/mpirun"].first { FileManager.default.isExecutableFile(atPath: $0) }
    /// Root (CI) must say so; two ranks may share the runner's two cores. Shared memory copies through
    /// its buffers: the single-copy mechanism (CMA) needs ptrace rights that containers often withhold.
    static func launcher(_ extra: [String] = []) -> [String] {
        [mpirun ?? "mpirun", "--allow-run-as-root", "--oversubscribe", "--bind-to", "none",
         "--mca", "btl_vader_single_copy_mechanism", "none"] + extra
    }

    /// Two stages (batch 4 in passes of 2, then an uneven batch of 3: slices of 2 and 1) and an f32 export.
    static func manifest(in dir: URL) throws -> URL {
        try TinyConversion.manifest(in: dir, name: "parallel", seed: 5, steps: """
          align:
            kind: align_hidden_states
            tokens: 2560
            seq_len: 32
            batch: 4
            micro_batch: 2
            lr: { schedule: quarter_cosine, init: 1e-3, final: 1e-4, warmup_steps: 2 }
            checkpoint_every: 5
          distill:
            kind: distill_logits
            after: align
            tokens: 1920
            seq_len: 32
            batch: 3
            lr: { schedule: constant, init: 1e-4, warmup_steps: 2 }
            grad_clip: 0.5
          export: { kind: export_hf, after: distill, to: out, dtype: f32 }

        """)
    }

    static func args(_ manifest: URL, _ dir: URL, _ name: String) -> [String] {
        ["run", manifest.path, "--cache", dir.appendingPathComponent("cache-\(name)").path,
         "--runs", dir.appendingPathComponent("runs-\(name)").path,
         "-s", "steps.export.to=" + dir.appendingPathComponent("out-\(name)").path]
    }

    static func weights(_ dir: URL, _ name: String) throws -> [String: [Float]] {
        let file = try SafetensorsFile(path: dir.appendingPathComponent("out-\(name)/model.safetensors").path)
        var out: [String: [Float]] = [:]
        for n in file.tensorNames { let t = try file.load(n); out[n] = Array(UnsafeBufferPointer(start: t.data, count: t.count)) }
        return out
    }

    /// Runs `body` in a fresh folder holding the manifest; skips (saying so) where mpirun is missing.
    static func withJob(_ body: (_ dir: URL, _ manifest: URL) throws -> Void) throws {
        guard mpirun != nil else { print("skipped: mpirun is not installed (scripts/setup.sh installs openmpi-bin)"); return }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rad-mpi-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try body(dir, try manifest(in: dir))
    }

    @Test func twoRanksTrainTheOneProcessModel() throws {
        try Self.withJob { dir, manifest in
            let started = Date()
            let one = try RadProcess.run(Self.args(manifest, dir, "one"))
            #expect(one.status == 0, "\(one.stderr)")
            let two = try RadProcess.run(Self.args(manifest, dir, "two"), launcher: Self.launcher(["-np", "2"]))
            #expect(two.status == 0, "\(two.stdout)\n\(two.stderr)")
            #expect(two.stderr.contains("gradient allreduce"), "\(two.stderr)")
            let tcp = try RadProcess.run(Self.args(manifest, dir, "tcp"), launcher: Self.launcher(["--mca", "btl", "tcp,self", "-np", "2"]))
            #expect(tcp.status == 0, "\(tcp.stdout)\n\(tcp.stderr)")
            // Only rank 0 prints the summary.
            #expect(two.stdout.components(separatedBy: "run record:").count == 2, "\(two.stdout)")

            let a = try Self.weights(dir, "one"), b = try Self.weights(dir, "two"), c = try Self.weights(dir, "tcp")
            #expect(a.keys.sorted() == b.keys.sorted() && !a.isEmpty)
            let maxDiff = Self.maxDifference(a, b)
            var changed = false
            for (name, y) in b where y != c[name] { changed = true; Issue.record("\(name): the TCP run differs from the shared-memory run") }
            print("data-parallel: max |w(1 rank) - w(2 ranks)| = \(maxDiff); two 2-rank runs bit-identical: \(!changed); "
                  + String(format: "%.1f s for three runs", Date().timeIntervalSince(started)))
            #expect(maxDiff < 1e-5, "2 ranks differ from 1 by \(maxDiff)")
        }
    }

    /// `overlap_backward: true` sums each layer's gradients while backward goes on below it; the
    /// sums are those of summing after backward, so the weights are bit-identical. Buckets of 10 KiB
    /// split every layer into several; RAD-RWKV7 carries a tensor from layer 0 to the later layers, and
    /// activation checkpointing recomputes each layer inside backward: a layer released too early would
    /// miss a gradient and change the weights.
    @Test(arguments: ["rad-rwkv6", "rad-rwkv7"]) func overlappedAllreduceTrainsTheSameModel(_ architecture: String) throws {
        try Self.withJob { dir, manifest in
            let common = ["-s", "student.architecture=\(architecture)", "-s", "steps.distill.activation_checkpointing=true"]
            let after = try RadProcess.run(Self.args(manifest, dir, "after") + common + ["-s", "distributed={overlap_backward: false, bucket_mb: 0.01}"],
                                           launcher: Self.launcher(["-np", "2"]))
            #expect(after.status == 0, "\(after.stdout)\n\(after.stderr)")
            #expect(!after.stderr.contains("beside backward"), "\(after.stderr)")
            let beside = try RadProcess.run(Self.args(manifest, dir, "beside") + common + ["-s", "distributed={overlap_backward: true, bucket_mb: 0.01}"],
                                            launcher: Self.launcher(["-np", "2"]))
            #expect(beside.status == 0, "\(beside.stdout)\n\(beside.stderr)")
            #expect(beside.stderr.contains("gradient allreduce beside backward"), "\(beside.stderr)")
            let a = try Self.weights(dir, "after"), b = try Self.weights(dir, "beside")
            #expect(a.keys.sorted() == b.keys.sorted() && !a.isEmpty)
            var same = true
            for (name, x) in a where x != b[name] { same = false; Issue.record("\(name): summed beside backward, it differs") }
            print("\(architecture): allreduce beside backward, weights bit-identical to summing after it: \(same)")
        }
    }

    /// Every training step's `optimizer_state_bytes_per_rank` in the run record of run `name`.
    static func optimizerBytes(_ dir: URL, _ name: String) throws -> [String: Int64] {
        let url = dir.appendingPathComponent("runs-\(name)/parallel/latest/run.json")
        let record = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any]
        var out: [String: Int64] = [:]
        for (node, entry) in record?["nodes"] as? [String: Any] ?? [:] {
            if let bytes = (entry as? [String: Any])?["optimizer_state_bytes_per_rank"] as? NSNumber { out[node] = bytes.int64Value }
        }
        return out
    }

    /// The largest |a − b| over the weights of two exports.
    static func maxDifference(_ a: [String: [Float]], _ b: [String: [Float]]) -> Float {
        var maxDiff: Float = 0
        for (name, x) in a {
            guard let y = b[name], y.count == x.count else { Issue.record("\(name) differs in shape"); continue }
            for i in x.indices { maxDiff = max(maxDiff, abs(x[i] - y[i])) }
        }
        return maxDiff
    }

    /// ZeRO stage 1 (`distributed: { shard_optimizer: true }`) with buckets of 10 KiB (the chunks cross
    /// parameter boundaries): the weights of the unsharded two-rank run, and half its optimizer state per rank.
    @Test func shardedOptimizerTrainsTheUnshardedModel() throws {
        try Self.withJob { dir, manifest in
            let plain = try RadProcess.run(Self.args(manifest, dir, "plain"), launcher: Self.launcher(["-np", "2"]))
            #expect(plain.status == 0, "\(plain.stdout)\n\(plain.stderr)")
            let sharded = try RadProcess.run(Self.args(manifest, dir, "sharded") + ["-s", "distributed={shard_optimizer: true, bucket_mb: 0.01}"],
                                             launcher: Self.launcher(["-np", "2"]))
            #expect(sharded.status == 0, "\(sharded.stdout)\n\(sharded.stderr)")
            #expect(sharded.stderr.contains("reduce-scatter + weight all-gather"), "\(sharded.stderr)")

            let a = try Self.weights(dir, "plain"), b = try Self.weights(dir, "sharded")
            #expect(a.keys.sorted() == b.keys.sorted() && !a.isEmpty)
            let maxDiff = Self.maxDifference(a, b)
            let bytesPlain = try Self.optimizerBytes(dir, "plain"), bytesSharded = try Self.optimizerBytes(dir, "sharded")
            print("sharded optimizer: max |w(unsharded) - w(sharded)| = \(maxDiff); optimizer state per rank, unsharded \(bytesPlain), "
                  + "sharded \(bytesSharded)")
            #expect(maxDiff <= 1e-6, "the sharded run differs from the unsharded one by \(maxDiff)")
            #expect(Set(bytesPlain.keys) == ["align", "distill"] && Set(bytesSharded.keys) == ["align", "distill"])
            for (step, whole) in bytesPlain {
                // Rank 0's shard: half the moments, and at most one float per bucket and moment more.
                let shard = bytesSharded[step] ?? 0, buckets = Int64(whole / 8 / 2621 + 1)
                #expect(shard * 2 >= whole && shard * 2 <= whole + 16 * buckets, "\(step): \(shard) of \(whole) bytes")
            }
        }
    }

    @Test func ranksWithDifferentManifestsAreRefused() throws {
        try Self.withJob { dir, manifest in
            // MPMD: rank 0 runs the manifest, rank 1 the same with another learning rate.
            let rank0 = Self.args(manifest, dir, "mixed")
            let launcher = Self.launcher(["-np", "1", RadProcess.executable.path] + rank0 + [":", "-np", "1"])
            let r = try RadProcess.run(rank0 + ["-s", "steps.align.lr.init=2e-3"], launcher: launcher)
            #expect(r.status == 2, "\(r.stdout)\n\(r.stderr)")
            #expect(r.stderr.contains("rank 1 runs another manifest"), "\(r.stderr)")
            // Refused before anything ran: nothing trained, nothing exported.
            #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("out-mixed").path))
        }
    }

    /// The pid of the `rad` process that is rank `rank` of a job using `cache` (read from /proc).
    static func rankProcess(_ rank: Int, cache: String) -> pid_t? {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = pid_t(name),
                  let env = FileManager.default.contents(atPath: "/proc/\(name)/environ"),
                  let cmd = FileManager.default.contents(atPath: "/proc/\(name)/cmdline") else { continue }
            let vars = String(decoding: env, as: UTF8.self).split(separator: "\0")
            let args = String(decoding: cmd, as: UTF8.self).split(separator: "\0")
            if vars.contains("OMPI_COMM_WORLD_RANK=\(rank)"), args.contains(Substring(cache)),
               args.first?.hasSuffix("/rad") == true { return pid }
        }
        return nil
    }

    @Test func aKilledRankEndsTheJob() throws {
        try Self.withJob { dir, manifest in
            let args = Self.args(manifest, dir, "killed") + ["-s", "steps.align.tokens=2560000"]
            let cache = dir.appendingPathComponent("cache-killed").path
            let log = dir.appendingPathComponent("killed.log")
            let launcher = Self.launcher(["-np", "2"])
            let job = try KillResumeCLITests.start(Array(launcher.dropFirst()) + [RadProcess.executable.path] + args, log: log,
                                                   executable: URL(fileURLWithPath: launcher[0]))
            // Kill rank 1 with SIGKILL once the job trains (rank 0 has written a checkpoint).
            var deadline = Date().addingTimeInterval(120)
            var victim: pid_t?
            while job.isRunning && Date() < deadline {
                if KillResumeCLITests.hasCheckpoint(URL(fileURLWithPath: cache)), let p = Self.rankProcess(1, cache: cache) { victim = p; break }
                usleep(20_000)
            }
            #expect(victim != nil, "rank 1 never trained")
            if let victim { kill(victim, SIGKILL) }
            deadline = Date().addingTimeInterval(60)
            while job.isRunning && Date() < deadline { usleep(50_000) }
            let hung = job.isRunning
            if hung { job.terminate(); kill(job.processIdentifier, SIGKILL) }
            job.waitUntilExit()
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            #expect(!hung, "mpirun still ran 60 s after rank 1 was killed")
            #expect(job.terminationStatus != 0)
            #expect(text.contains("rank 1") && text.contains("signal 9"), "\(text.suffix(1500))")
        }
    }
}
