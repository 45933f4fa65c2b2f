import RadBench
import Foundation
import Testing
import RadModelZoo
import RadPipeline

/// The model benchmark runs end to end on a tiny teacher and reports finite, positive figures
/// (`rad bench --only models` runs it on SmolLM2-135M).
@Suite struct ModelBenchTests {
    @Test func tinyTeacherAndStudents() throws {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("RadModelZooTests/Fixtures/teachers/qwen2_untied_bias").path
        let teacher = try ModelLoader.load(dir, loadTokenizer: false).model
        var o = ModelBench.Options()
        o.repetitions = 1; o.batch = 2; o.seqLen = 8; o.contexts = [4, 12]; o.decodeTokens = 2
        let r = try ModelBench.run(teacher: teacher, options: o)
        #expect(r.teacher.forwardTokensPerSecond > 0 && r.teacher.scoreTokensPerSecond > 0 && r.teacher.decodeMs.keys.sorted() == ["12", "4"])
        #expect(r.students.map(\.architecture) == ["rad-rwkv6", "rad-rwkv7"])
        #expect(r.students.map(\.recurrenceKernel) == ["gla", "dplr"])
        for s in r.students {
            let figures = [s.forwardTokensPerSecond, s.trainTokensPerSecond, s.trainStepMs, s.recurrenceLayerMs, s.recurrenceShare]
                + s.decodeMs.values
            #expect(figures.allSatisfy { $0.isFinite && $0 > 0 }, "\(s)")
            #expect(s.recurrenceLayers == teacher.config.numLayers)
            #expect((s.trainPeakMB ?? 0) > 0, "peak resident memory is read from /proc on Linux")
        }
        #expect(r.table.contains("| rad-rwkv7 |") && r.table.contains("decode ms @12"))
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(r)) as! [String: Any]
        #expect((json["students"] as? [[String: Any]])?.first?["recurrence_share_of_train_step"] is Double)
        #expect(json["activation_checkpointing"] as? Bool == false)
    }
}
