import Foundation

/// The hardware `rad plan --device NAME` can plan for besides this machine (`cpu`, calibrated here).
///
/// rad trains on CPUs; a plan for an accelerator answers "what would this conversion take on the hardware
/// the paper used": each step's FLOPs at an assumed sustained share of the device's dense bf16 peak (no
/// sparsity), and the memory warnings against the device's memory. The figures are the vendors' data-sheet
/// peaks and the memory as `nvidia-smi` reports it; the share is a typical model-FLOPs utilisation of
/// transformer training, an assumption the plan's first line states.
public struct KnownDevice: Sendable, Equatable {
    /// What `--device` takes: `h100`.
    public var name: String
    /// "NVIDIA H100 SXM 80GB".
    public var model: String
    public var memoryBytes: Int64
    /// Dense bf16 (tensor core) and fp32 (no tensor core) peaks, FLOP/s.
    public var bf16PeakFlopsPerSecond: Double
    public var fp32PeakFlopsPerSecond: Double

    /// Training loops sustain about this share of the dense bf16 peak (model-FLOPs utilisation of
    /// transformer training with a good kernel library is typically 35-50%).
    public static let trainingShareOfPeak = 0.4
    /// `--device cpu`: this machine, calibrated (the default).
    public static let thisMachine = "cpu"

    public var trainingFlopsPerSecond: Double { bf16PeakFlopsPerSecond * Self.trainingShareOfPeak }

    static func mib(_ n: Int64) -> Int64 { n << 20 }

    public static let all: [KnownDevice] = [
        KnownDevice(name: "a100", model: "NVIDIA A100 SXM 80GB", memoryBytes: mib(81_920),
                    bf16PeakFlopsPerSecond: 312e12, fp32PeakFlopsPerSecond: 19.5e12),
        KnownDevice(name: "h100", model: "NVIDIA H100 SXM 80GB", memoryBytes: mib(81_559),
                    bf16PeakFlopsPerSecond: 989e12, fp32PeakFlopsPerSecond: 67e12),
        KnownDevice(name: "h200", model: "NVIDIA H200 SXM 141GB", memoryBytes: mib(143_771),
                    bf16PeakFlopsPerSecond: 989e12, fp32PeakFlopsPerSecond: 67e12),
        KnownDevice(name: "rtx4090", model: "NVIDIA GeForce RTX 4090 24GB", memoryBytes: mib(24_564),
                    bf16PeakFlopsPerSecond: 165.2e12, fp32PeakFlopsPerSecond: 82.6e12),
    ]

    /// Every name `--device` takes.
    public static var names: [String] { [thisMachine] + all.map(\.name) }

    /// The device of that name (case-insensitive); nil for `cpu`. An unknown name is invalid input naming
    /// the known ones, with a did-you-mean.
    public static func named(_ name: String) throws -> KnownDevice? {
        let n = name.lowercased()
        if n == thisMachine { return nil }
        if let d = all.first(where: { $0.name == n }) { return d }
        throw RunInputError("--device '\(name)' is not a known device (known: \(names.joined(separator: ", ")); "
                            + "or --gflops N for another machine)\(Suggestions.didYouMean(n, names))")
    }

    /// `NVIDIA H100 SXM 80GB, 79.6 GiB memory; training at 396 TFLOP/s (assumed: 40% of its dense bf16 peak of 989 TFLOP/s; fp32 67 TFLOP/s)`.
    var described: String {
        String(format: "%@ (an assumed device, not this machine), %@ memory; training at %.0f TFLOP/s (assumed: %.0f%% of its "
               + "dense bf16 peak of %.0f TFLOP/s; fp32 %.1f TFLOP/s); rad itself trains on CPUs: these are the times a bf16 "
               + "trainer would take there, and peak memory is rad's fp32 estimate",
               model, Units.bytes(memoryBytes), trainingFlopsPerSecond / 1e12, Self.trainingShareOfPeak * 100,
               bf16PeakFlopsPerSecond / 1e12, fp32PeakFlopsPerSecond / 1e12)
    }
}

extension PlanMachine {
    /// The machine a plan for `device` assumes.
    public static func device(_ d: KnownDevice) -> PlanMachine {
        PlanMachine(processor: d.model, cores: 0, memory: MachineMemory(bytes: d.memoryBytes, origin: .device(d.model)),
                    trainingFlopsPerSecond: d.trainingFlopsPerSecond, origin: .device(d))
    }
}
