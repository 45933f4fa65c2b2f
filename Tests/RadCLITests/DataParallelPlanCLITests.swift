import Foundation
import Testing

/// `rad plan --ranks N [--bandwidth GB/s]`: each training step's batch per rank, the bytes a rank sends
/// per optimizer step (ring allreduce: 2(N−1)/N × the gradient), the time at the stated bandwidth and the
/// peak memory per rank with and without the sharded optimizer.
@Suite struct DataParallelPlanCLITests {
    static func plan(_ dir: URL, _ manifest: URL, _ extra: [String]) throws -> RadProcess.Result {
        try RadProcess.run(["plan", manifest.path, "--cache", dir.appendingPathComponent("cache").path,
                            "--runs", dir.appendingPathComponent("runs").path, "--gflops", "100"] + extra)
    }

    static func withManifest(_ body: (_ dir: URL, _ manifest: URL) throws -> Void) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rad-plan-ranks-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try body(dir, try DataParallelCLITests.manifest(in: dir))
    }

    @Test func planOnFourRanksShowsTheCommunicationAndTheMemoryPerRank() throws {
        try Self.withManifest { dir, manifest in
            let r = try Self.plan(dir, manifest, ["--ranks", "4", "--bandwidth", "0.5", "--json"])
            #expect(r.status == 0, "\(r.stderr)")
            let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
            let dp = json["data_parallel"] as! [String: Any]
            #expect(dp["ranks"] as? Int == 4 && dp["bandwidth_bytes_per_s"] as? Double == 5e8 && dp["shard_optimizer"] as? Bool == false)
            let steps = dp["steps"] as! [[String: Any]]
            #expect(steps.map { $0["id"] as? String } == ["align", "distill"])
            let oneProcess = (json["steps"] as! [[String: Any]]).reduce(into: [String: [String: Any]]()) { $0[$1["id"] as! String] = $1 }
            for s in steps {
                let id = s["id"] as! String, one = oneProcess[id]!
                let gradient = s["gradient_bytes"] as! Double, sent = s["bytes_per_step_per_rank"] as! Double
                #expect(gradient > 0 && abs(sent - 1.5 * gradient) <= 1, "\(id): 2(N-1)/N = 1.5 x the gradient")
                let optimizerSteps = Double(one["optimizer_steps"] as! Int)
                let comm = s["communication_seconds"] as! Double
                #expect(abs(comm - optimizerSteps * sent / 5e8) <= 0.05 + 1e-3 * comm, "\(id): \(comm) s")
                let total = s["seconds"] as! Double, compute = one["seconds"] as! Double
                #expect(abs(total - (compute / 4 + comm)) <= 0.2, "\(id): \(total) s")
                let peak = s["peak_bytes_per_rank"] as! Double, sharded = s["peak_bytes_per_rank_sharded"] as! Double
                // The moments: 8 bytes per trained parameter, 3/4 of them held elsewhere when sharded.
                #expect(abs((peak - sharded) - 0.75 * 2 * gradient) <= 2, "\(id): \(peak) vs \(sharded)")
                // A rank's passes hold its slice of the batch only: at most the one-process peak.
                #expect(peak <= one["peak_bytes"] as! Double)
            }
            // align: batch 4 -> 1 per rank; distill: batch 3 -> 1 (one rank idles).
            #expect(steps.map { $0["batch_per_rank"] as? Int } == [1, 1])

            let table = try Self.plan(dir, manifest, ["--ranks", "2"])
            #expect(table.status == 0, "\(table.stderr)")
            #expect(table.stdout.contains("on 2 ranks") && table.stdout.contains("1.25 GB/s (10 Gbit/s)")
                    && table.stdout.contains("peak/rank sharded"), "\(table.stdout)")
            let plain = try Self.plan(dir, manifest, [])
            #expect(plain.status == 0 && !plain.stdout.contains("batch/rank"), "\(plain.stdout)")
        }
    }

    @Test func badRanksOrBandwidthAreRefused() throws {
        try Self.withManifest { dir, manifest in
            for (args, message) in [(["--ranks", "0"], "--ranks must be"), (["--ranks", "2", "--bandwidth", "0"], "--bandwidth must be"),
                                    (["--bandwidth", "1"], "--bandwidth needs --ranks")] {
                let r = try Self.plan(dir, manifest, args)
                #expect(r.status == 2 && r.stderr.contains(message), "\(args): \(r.status) \(r.stderr)")
            }
        }
    }
}
