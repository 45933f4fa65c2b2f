import RadOps
import Foundation

/// The machine `rad plan`'s times and memory warnings assume, stated in the plan: its processor, cores,
/// memory, and the sustained training throughput. The throughput is measured here by a short GEMM
/// calibration (cached in the cache folder per processor and core count, so a plan costs it once), or
/// given with `--gflops` to plan for another machine, or one of `KnownDevice`'s with `--device`.
public struct PlanMachine: Sendable, Equatable {
    public enum Origin: Sendable, Equatable {
        /// Measured: fp32 GEMM at `gemmFlopsPerSecond`, on `date`.
        case calibrated(gemmFlopsPerSecond: Double, date: String)
        /// `--gflops`.
        case given
        /// No measurement (the planner's fixed figure).
        case assumed
        /// `--device NAME`: an accelerator of `KnownDevice`'s table, not this machine.
        case device(KnownDevice)
    }

    /// Whether the plan is for this machine, whose earlier runs' measured speeds then time their steps.
    public var isThisMachine: Bool {
        if case .device = origin { return false }
        return true
    }

    public var processor: String
    public var cores: Int
    public var memory: MachineMemory?
    /// FLOP/s a training loop sustains (the planner's time per step, where no earlier run measured one).
    public var trainingFlopsPerSecond: Double
    public var origin: Origin

    /// Training loops reach about half of the GEMM rate: measured on the quickstart's stages (90 of 185
    /// GFLOP/s on 2 cores), the rest is elementwise work, the recurrence and the optimizer.
    public static let trainingShareOfGemm = 0.5
    public static let cacheFile = "machine.json"

    public init(processor: String, cores: Int, memory: MachineMemory?, trainingFlopsPerSecond: Double, origin: Origin) {
        self.processor = processor; self.cores = cores; self.memory = memory
        self.trainingFlopsPerSecond = trainingFlopsPerSecond; self.origin = origin
    }

    /// The line at the head of a plan.
    public var described: String {
        if case .device(let d) = origin { return "machine: " + d.described }
        let rate = String(format: "%.0f GFLOP/s", trainingFlopsPerSecond / 1e9)
        let how: String
        switch origin {
        case .calibrated(let gemm, let date):
            how = String(format: "calibrated %@: fp32 GEMM %.0f GFLOP/s x %.1f", date, gemm / 1e9, Self.trainingShareOfGemm)
        case .given: how = "given with --gflops"
        case .assumed: how = "assumed, not measured"
        case .device: how = "assumed"
        }
        let mem = memory.map { ", \(Units.bytes($0.bytes)) memory" } ?? ""
        return "machine: \(processor), \(cores) core\(cores == 1 ? "" : "s")\(mem); training at \(rate) (\(how)); "
            + "times of steps an earlier run measured use that run's speed"
    }

    /// This machine with `gflops` (training GFLOP/s) as given.
    public static func given(gflops: Double) -> PlanMachine {
        PlanMachine(processor: processorName(), cores: ProcessInfo.processInfo.activeProcessorCount, memory: .current(),
                    trainingFlopsPerSecond: gflops * 1e9, origin: .given)
    }

    /// This machine, calibrated: read from `cacheRoot/machine.json` when it was measured on the same
    /// processor and core count, measured (about a second) and saved there otherwise. A cache folder that
    /// cannot be written only costs the next plan another measurement.
    public static func calibrated(cacheRoot: URL) -> PlanMachine {
        let processor = processorName(), cores = ProcessInfo.processInfo.activeProcessorCount
        let file = cacheRoot.appendingPathComponent(cacheFile)
        if let data = FileManager.default.contents(atPath: file.path), let v = try? JSONReader.parse(data),
           v["processor"]?.stringValue == processor, v["cores"]?.intValue == Int64(cores),
           let gemm = v["gemm_flops_per_s"]?.doubleValue, gemm > 0, let date = v["date"]?.stringValue {
            return PlanMachine(processor: processor, cores: cores, memory: .current(),
                               trainingFlopsPerSecond: gemm * trainingShareOfGemm, origin: .calibrated(gemmFlopsPerSecond: gemm, date: date))
        }
        let gemm = measureGemm()
        let date = String(ISO8601DateFormatter().string(from: Date()).prefix(10))
        let record = CanonicalValue.object(["processor": .string(processor), "cores": .int(Int64(cores)),
                                            "gemm_flops_per_s": .double(gemm.rounded()), "date": .string(date)])
        try? FileManager.default.createDirectory(at: cacheRoot, withIntermediateDirectories: true)
        try? Data(record.prettyJSON.utf8).write(to: file, options: .atomic)
        return PlanMachine(processor: processor, cores: cores, memory: .current(),
                           trainingFlopsPerSecond: gemm * trainingShareOfGemm, origin: .calibrated(gemmFlopsPerSecond: gemm, date: date))
    }

    /// fp32 GEMM FLOP/s on the shapes training multiplies (a 512-token batch through a 576 x 1536 layer,
    /// the quickstart teacher's MLP): the median of several timed rounds after a warm-up.
    static func measureGemm(m: Int = 2048, n: Int = 1536, k: Int = 576, rounds: Int = 7) -> Double {
        var a = [Float](repeating: 0, count: m * k), b = [Float](repeating: 0, count: k * n), c = [Float](repeating: 0, count: m * n)
        for i in a.indices { a[i] = Float(i % 7) * 0.01 }
        for i in b.indices { b[i] = Float(i % 5) * 0.01 }
        func once() {
            a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in c.withUnsafeMutableBufferPointer { pc in
                Gemm.sgemmPacked(transA: false, transB: false, m: m, n: n, k: k, a: pa.baseAddress!, b: pb.baseAddress!, c: pc.baseAddress!)
            } } }
        }
        once()
        var times: [Double] = []
        for _ in 0..<rounds {
            let t0 = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<4 { once() }
            times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9 / 4)
        }
        let median = times.sorted()[times.count / 2]
        return 2 * Double(m) * Double(n) * Double(k) / max(median, 1e-9)
    }

    /// "AMD EPYC 7B13" from /proc/cpuinfo ("this processor" where it cannot be read).
    static func processorName() -> String {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return "this processor" }
        for line in text.split(separator: "\n") where line.hasPrefix("model name") {
            if let colon = line.firstIndex(of: ":") {
                let name = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                if !name.isEmpty { return name }
            }
        }
        return "this processor"
    }
}
