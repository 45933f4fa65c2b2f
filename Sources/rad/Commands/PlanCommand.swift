import ArgumentParser
import Foundation
import RadPipeline

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan", abstract: "Show what `rad run` would do per step (cached / run / resume), why, and what it costs.")

    @OptionGroup var manifest: ManifestOptions
    @OptionGroup var inputs: InputCheckOptions
    @OptionGroup var cache: CacheOptions
    @Flag(help: "Print the plan as JSON.")
    var json = false
    @Option(help: ArgumentHelp("Plan for a machine whose training loops sustain this many GFLOP/s (default: measured here by a short GEMM calibration, cached in the cache folder).", valueName: "GFLOP/s"))
    var gflops: Double?
    @Option(help: ArgumentHelp("Also plan the training steps data-parallel on N ranks (`mpirun -np N rad run`): batch per rank, bytes sent per optimizer step, time and memory per rank.", valueName: "N"))
    var ranks: Int?
    @Option(help: ArgumentHelp("Network bandwidth between the ranks for --ranks, in GB/s (default 1.25: 10 Gbit/s Ethernet).", valueName: "GB/s"))
    var bandwidth: Double?
    @Option(help: ArgumentHelp("Plan for this hardware: \(KnownDevice.names.joined(separator: ", ")) (cpu: this machine, calibrated; the others at an assumed share of their dense bf16 peak, with their memory).", valueName: "name"))
    var device: String?

    func run() throws {
        try reportingErrors {
            if let gflops, !(gflops > 0 && gflops.isFinite) { throw RunInputError("--gflops must be a positive number, found \(gflops)") }
            if gflops != nil, device != nil { throw RunInputError("give --device or --gflops, not both") }
            let known = try device.flatMap { try KnownDevice.named($0) }
            let m = try manifest.load(workspace: cache.workspace, inputs: inputs)
            ModelShapes.provider = ModelZooShapes()   // sizes from the GGUF header / config.json, no weights
            let store = try cache.store()
            let machine = known.map { PlanMachine.device($0) } ?? gflops.map { PlanMachine.given(gflops: $0) }
                ?? PlanMachine.calibrated(cacheRoot: store.root)
            if let ranks, !(1...65536).contains(ranks) { throw RunInputError("--ranks must be a whole number from 1 to 65536, found \(ranks)") }
            if let bandwidth, !(bandwidth > 0 && bandwidth.isFinite) { throw RunInputError("--bandwidth must be a positive number of GB/s, found \(bandwidth)") }
            if bandwidth != nil, ranks == nil { throw RunInputError("--bandwidth needs --ranks N (the ranks it joins)") }
            var planner = Planner(store: store, runsRoot: cache.runsRoot, machine: machine)
            planner.ranks = ranks.map { DataParallelPlan.Setup(ranks: $0, bandwidth: (bandwidth ?? DataParallelPlan.Setup.defaultBandwidth / 1e9) * 1e9) }
            let plan = planner.plan(m)
            print(json ? plan.json.prettyJSON : plan.table)
            if !json, !manifest.set.isEmpty { print(Self.overridden(manifest.set, in: m)) }
        }
    }

    /// What each `-s` left in the manifest, whole: `-s steps.distill.lr=2e-5` sets only `init` of a record,
    /// so the line shows the record it made (`{init: 2e-05, schedule: constant, warmup_steps: 2}`).
    /// Step settings show as validated (defaults filled in), the rest as written.
    static func overridden(_ overrides: [String], in m: Manifest) -> String {
        var lines = ["overrides:"]
        for o in overrides {
            guard let eq = o.firstIndex(of: "=") else { continue }
            let path = o[..<eq].split(separator: ".").map(String.init)
            let value: CanonicalValue?
            if path.count >= 3, path[0] == "steps", let step = m.step(named: path[1]) {
                value = path.dropFirst(3).reduce(step.settings[path[2]]) { $0?[$1] }
            } else {
                value = path.reduce(Optional(m.resolved)) { $0?[$1] }
            }
            lines.append("  -s \(o)  ->  \(path.joined(separator: ".")): \(value?.display ?? "(not in the manifest)")")
        }
        return lines.joined(separator: "\n")
    }
}
