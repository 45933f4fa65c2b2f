import RadBench
import Testing
import RadOps

/// The benchmark runs and reports finite, positive figures (tiny shape; `rad bench` runs the real ones).
@Suite struct RecurrenceBenchTests {
    @Test func reportsFigures() {
        let results = benchmarkRecurrences(shapes: [RecurrenceShape(batch: 1, length: 9, heads: 2, headSize: 8)],
                                           repeats: 1, dplrChunks: [4, 16])
        #expect(results.map(\.kernel) == ["gla", "dplr", "dplr", "gated_delta"])
        for r in results {
            for (name, value) in r.figures { #expect(value.isFinite && value > 0, "\(name) = \(value)") }
        }
    }
}
