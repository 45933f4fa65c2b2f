import Testing
import RadOps

@Suite struct BenchTests {
    @Test func tinyBenchProducesSaneRows() throws {
        var o = KernelBench.Options()
        o.tokens = 16; o.repetitions = 1
        o.layers = [("tiny", 8, 12)]
        o.bandwidthShapes = [(4, 32)]
        let rows = KernelBench.gemm(o) + KernelBench.bandwidth(o) + KernelBench.composite(o)
        #expect(rows.count == 2 + 11 + 2)
        #expect(rows.allSatisfy { $0.ours > 0 && $0.reference > 0 && $0.ratio > 0 })
        #expect(KernelBench.table(rows).contains("| tiny forward |"))
    }
}
