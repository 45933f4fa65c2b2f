import Foundation
import Testing

/// Several `rad run`s of one manifest at once on one cache (cold and fully cached, two and four at a
/// time, many rounds): every one succeeds, the step is computed once and waited for by the others, all
/// exports are byte-identical, and nothing is left in `tmp/` or beside the export.
@Suite struct ConcurrentRunsCLITests {
    static func manifest(in dir: URL) throws -> URL {
        try TinyConversion.manifest(in: dir, name: "together", seed: 9, steps: """
          align:
            kind: align_hidden_states
            tokens: 1280
            seq_len: 32
            batch: 4
            lr: { schedule: constant, init: 1e-3, warmup_steps: 2 }
            checkpoint_every: 3
          distill:
            kind: distill_logits
            after: align
            tokens: 1280
            seq_len: 32
            batch: 4
            lr: { schedule: constant, init: 1e-4, warmup_steps: 2 }
          export: { kind: export_hf, after: distill, to: out }

        """)
    }

    /// Starts `count` runs at once and waits for all of them.
    static func together(_ count: Int, _ arguments: [String], dir: URL, round: String) throws -> [(Process, String)] {
        let runs = try (0..<count).map { i -> (Process, URL) in
            let log = dir.appendingPathComponent("\(round)-\(i).log")
            return (try KillResumeCLITests.start(arguments, log: log), log)
        }
        return runs.map { p, log in
            p.waitUntilExit()
            return (p, (try? String(contentsOf: log, encoding: .utf8)) ?? "")
        }
    }

    @Test func twoAndFourRunsAtOnceOnOneCache() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rad-together-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let manifest = try Self.manifest(in: dir)
        let reference = try RadProcess.run(["run", manifest.path, "--cache", dir.appendingPathComponent("cache-ref").path,
                                            "--runs", dir.appendingPathComponent("runs-ref").path,
                                            "-s", "steps.export.to=" + dir.appendingPathComponent("out-ref").path], cwd: dir)
        #expect(reference.status == 0, "\(reference.stderr)")
        let expected = try Data(contentsOf: dir.appendingPathComponent("out-ref/model.safetensors"))

        // Cold: a fresh cache per round; then fully cached rounds on the last cache.
        let rounds: [(count: Int, cold: Bool)] = [(2, true), (2, true), (2, true), (4, true), (4, true), (4, false), (4, false), (2, false)]
        var cache = dir
        for (n, round) in rounds.enumerated() {
            if round.cold { cache = dir.appendingPathComponent("cache-\(n)") }
            let results = try Self.together(round.count, ["run", manifest.path, "--cache", cache.path,
                                                          "--runs", dir.appendingPathComponent("runs").path], dir: dir, round: "round\(n)")
            for (p, log) in results {
                #expect(p.terminationStatus == 0, "round \(n) (\(round.count) at once, \(round.cold ? "cold" : "cached")): \(log.suffix(1500))")
                #expect(!log.contains("NSCocoaErrorDomain") && !log.contains("Fatal error"), "\(log.suffix(800))")
            }
            let exported = try Data(contentsOf: dir.appendingPathComponent("out/model.safetensors"))
            #expect(exported == expected, "round \(n): the export differs from a single run's")
            let tmp = try FileManager.default.contentsOfDirectory(atPath: cache.appendingPathComponent("tmp").path)
            #expect(tmp.isEmpty, "round \(n) left \(tmp) in tmp/")
            let beside = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".partial-") }
            #expect(beside.isEmpty, "round \(n) left \(beside)")
            if round.cold {
                // Each step was computed by one process; the others waited for it and found it cached.
                let ran = results.filter { $0.1.contains("running align") }.count
                #expect(ran == 1, "round \(n): align ran in \(ran) processes")
            }
        }
    }
}
