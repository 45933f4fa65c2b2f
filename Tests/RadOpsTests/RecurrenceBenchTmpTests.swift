import Testing
import RadOps

@Suite struct RecurrenceBenchTmp {
    @Test func measure() {
        for r in benchmarkRecurrences(repeats: 5, dplrChunks: [16, 32, 64]) { print("BENCH", r) }
        Parallel.setThreadCount(1)
        for r in benchmarkRecurrences(shapes: [recurrenceBenchShapes[0]], repeats: 3, dplrChunks: [32]) { print("BENCH1", r) }
        Parallel.setThreadCount(2)
    }
}
