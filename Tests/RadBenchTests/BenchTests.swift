import RadBench
import Foundation
import Testing
import RadOps

@Suite struct BenchTests {
    @Test func tinyBenchProducesSaneRows() throws {
        var o = KernelBench.Options()
        o.tokens = 16; o.repetitions = 1
        o.layers = [("tiny", 8, 12)]
        o.bandwidthShapes = [(4, 32)]
        let rows = KernelBench.gemm(o) + KernelBench.bandwidth(o) + KernelBench.composite(o)
        #expect(rows.count == 2 + 11 + 3)
        #expect(rows.allSatisfy { $0.ours > 0 && $0.reference > 0 && $0.ratio > 0 })
        #expect(KernelBench.table(rows).contains("| tiny forward |"))
    }
}

@Suite struct RecurrenceBenchReportTests {
    @Test func tableAndJSON() throws {
        let results = benchmarkRecurrences(shapes: [RecurrenceShape(batch: 1, length: 5, heads: 2, headSize: 4)], repeats: 1)
        let table = RecurrenceBenchResult.table(results)
        #expect(table.contains("| gla | 1×5×2×4 |") && table.contains("| dplr | 1×5×2×4 |"))
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(results)) as! [[String: Any]]
        #expect(json.count == 3 && json[0]["kernel"] as? String == "gla" && json[0]["fwd_bwd_ms"] is Double)
    }
}
