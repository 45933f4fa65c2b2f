import ArgumentParser
import Foundation
import RadOps

/// `rad bench`: throughput of the RadOps kernels next to their ceilings (raw sgemm, memcpy).
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure RadOps GEMM (GFLOP/s vs cblas_sgemm) and elementwise/norm kernels (GB/s vs memcpy).")

    @Option(help: "Threads for RadOps kernels and OpenBLAS (default: all cores).")
    var threads: Int?

    @Option(help: "Repetitions per measurement (the median is reported).")
    var repetitions = 5

    @Option(help: "Tokens per GEMM (rows of x); the teacher trains on 4 × 512.")
    var tokens = 2048

    enum Suite: String, ExpressibleByArgument, CaseIterable { case all, gemm, bandwidth, composite }

    @Option(help: "Which measurements: all, gemm, bandwidth or composite.")
    var only: Suite = .all

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if repetitions < 1 { throw ValidationError("--repetitions must be at least 1") }
        if tokens < 1 { throw ValidationError("--tokens must be at least 1") }
    }

    func run() throws {
        if let threads { Parallel.setThreadCount(threads) }
        var options = KernelBench.Options()
        options.repetitions = repetitions
        options.tokens = tokens
        let rows = (only == .all || only == .gemm ? KernelBench.gemm(options) : [])
            + (only == .all || only == .bandwidth ? KernelBench.bandwidth(options) : [])
            + (only == .all || only == .composite ? KernelBench.composite(options) : [])
        if json {
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try enc.encode(rows), as: UTF8.self))
        } else {
            print("RadOps kernels, \(Parallel.threadCount) thread(s), median of \(repetitions)")
            print(KernelBench.table(rows), terminator: "")
        }
    }
}
