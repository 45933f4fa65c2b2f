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
        // SmolLM2-135M: 134.5M teacher parameters (tied head); align trains 64k tokens with one teacher
        // forward per token, so about (6 · N_student + 2 · N_teacher) · 64k ≈ 76 TFLOP.
        let align = try #require(steps.first { $0["id"] as? String == "align" })
        let flops = try #require(align["flops"] as? Double)
        #expect(flops > 5e13 && flops < 1e14, "\(flops)")
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
