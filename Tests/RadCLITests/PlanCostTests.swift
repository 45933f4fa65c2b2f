import Foundation
import Testing

/// `rad plan` reads the teacher's shape from the GGUF header and prints FLOPs and a time per training step.
@Suite struct PlanCostTests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func quickstartPlanShowsFlops() throws {
        let gguf = Self.repo.appendingPathComponent("assets/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf").path
        guard FileManager.default.fileExists(atPath: gguf) else {
            Issue.record("missing asset \(gguf): run `scripts/fetch-assets.sh teacher`")
            return
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rad-plan-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let args = ["plan", "pipelines/quickstart.yaml", "--cache", dir.appendingPathComponent("cache").path, "--runs", dir.path]
        let r = try RadProcess.run(args + ["--json"], cwd: Self.repo)
        #expect(r.status == 0, "\(r.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        let steps = json["steps"] as! [[String: Any]]
        // SmolLM2-135M: stage 1 runs the teacher's 30 layers without the head (about 106M weights) and
        // trains only the student's mixers (about 44M weights with the gate and the LoRAs) on 64k tokens:
        // (2 · 106M + 6 · 44M) · 64k ≈ 31 TFLOP. (The idle machine ran it in 321 s; 31 TFLOP at the
        // planner's assumed 90 GFLOP/s is 340 s.)
        let align = try #require(steps.first { $0["id"] as? String == "align" })
        let flops = try #require(align["flops"] as? Double)
        #expect(flops > 2.5e13 && flops < 4e13, "\(flops)")
        #expect((align["seconds"] as? Double ?? 0) > 0)
        for id in ["distill", "finetune"] {
            let s = try #require(steps.first { $0["id"] as? String == id })
            #expect((s["flops"] as? Double ?? 0) > 0, "\(id)")
        }
        let t = try RadProcess.run(args, cwd: Self.repo)
        #expect(t.status == 0, "\(t.stderr)")
        let alignRow = try #require(t.stdout.split(separator: "\n").first { $0.hasPrefix("align ") })
        #expect(alignRow.contains(" TFLOP ") && !alignRow.contains(" ? "), "\(alignRow)")
    }
}
