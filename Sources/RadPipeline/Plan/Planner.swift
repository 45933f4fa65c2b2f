import Foundation

/// What `rad run` would do for each node, and why, with the token budget and estimated cost.
public struct Plan: Sendable {
    public enum Decision: String, Sendable { case cached, run, resume, source }
    public struct Entry: Sendable {
        public var id: String
        public var kind: String
        public var key: String
        public var decision: Decision
        public var why: [String]
        public var tokens: Int64?
        public var optimizerSteps: Int64?
        public var sequences: Int64?
        public var flops: Double?
        public var seconds: Double?
        /// Estimated peak memory of the step (`MemoryEstimate`), in bytes.
        public var peakBytes: Double?
    }
    public var manifest: String
    public var entries: [Entry]
    /// The machine the times and memory figures assume.
    public var machine: PlanMachine
    /// The training steps on N ranks (`rad plan --ranks N`).
    public var dataParallel: DataParallelPlan?

    /// The steps that will compute (run or resume).
    var computing: [Entry] { entries.filter { $0.decision == .run || $0.decision == .resume } }
    public var totalFlops: Double { computing.compactMap(\.flops).reduce(0, +) }
    public var totalSeconds: Double { computing.compactMap(\.seconds).reduce(0, +) }
    public var totalTokens: Int64 { computing.compactMap(\.tokens).reduce(0, +) }
    /// Steps run one after the other, so the run's peak is the largest step's.
    public var peakBytes: Double { entries.compactMap(\.peakBytes).max() ?? 0 }

    /// Steps whose estimate exceeds most of the machine's memory (the validator refuses what exceeds all of it).
    public var memoryWarnings: [String] {
        guard let memory = machine.memory else { return [] }
        return entries.compactMap { e in
            guard let b = e.peakBytes, b > Self.memoryWarningShare * Double(memory.bytes) else { return nil }
            return "warning: step '\(e.id)' needs about \(Units.bytes(Int64(b))) at its peak, more than "
                + "\(Int(Self.memoryWarningShare * 100))% of what there is (\(memory.described)); "
                + "other processes may leave it too little (micro_batch or activation_checkpointing lower it)"
        }
    }
    public static let memoryWarningShare = 0.8

    public var json: CanonicalValue {
        var m: [String: CanonicalValue] = ["processor": .string(machine.processor), "cores": .int(Int64(machine.cores)),
                                           "training_flops_per_s": .double(machine.trainingFlopsPerSecond.rounded())]
        m["memory_bytes"] = machine.memory.map { .int($0.bytes) } ?? .null
        switch machine.origin {
        case .calibrated(let gemm, let date): m["origin"] = .string("calibrated"); m["gemm_flops_per_s"] = .double(gemm.rounded()); m["date"] = .string(date)
        case .given: m["origin"] = .string("given")
        case .assumed: m["origin"] = .string("assumed")
        case .device(let d): m["origin"] = .string("device"); m["device"] = .string(d.name)
        }
        return .object([
            "manifest": .string(manifest),
            "data_parallel": dataParallel?.json ?? .null,
            "machine": .object(m),
            "total": .object(["tokens": .int(totalTokens), "flops": .double(totalFlops), "seconds": .double((totalSeconds * 10).rounded() / 10),
                              "peak_bytes": .double(peakBytes.rounded())]),
            "steps": .array(entries.map { e in
                var o: [String: CanonicalValue] = ["id": .string(e.id), "kind": .string(e.kind), "key": .string(e.key),
                                                   "decision": .string(e.decision.rawValue), "why": .array(e.why.map { .string($0) })]
                o["tokens"] = e.tokens.map { .int($0) } ?? .null
                o["optimizer_steps"] = e.optimizerSteps.map { .int($0) } ?? .null
                o["sequences"] = e.sequences.map { .int($0) } ?? .null
                o["flops"] = e.flops.map { .double($0) } ?? .null
                o["seconds"] = e.seconds.map { .double(($0 * 10).rounded() / 10) } ?? .null
                o["peak_bytes"] = e.peakBytes.map { .double($0.rounded()) } ?? .null
                return .object(o)
            }),
        ])
    }

    public var table: String {
        var rows = [["step", "kind", "decision", "tokens", "opt steps", "sequences", "FLOPs", "time", "peak mem", "why"]]
        for e in entries {
            rows.append([e.id, e.kind, e.decision.rawValue,
                         e.tokens.map { Units.count($0) } ?? "-", e.optimizerSteps.map { Units.count($0) } ?? "-",
                         e.sequences.map { Units.count($0) } ?? "-",
                         e.tokens == nil ? "-" : (e.flops.map { Units.flops($0) } ?? "?"),
                         e.tokens == nil ? "-" : (e.seconds.map { Units.duration($0) } ?? "?"),
                         e.peakBytes.map { Units.bytes(Int64($0)) } ?? "-",
                         e.why.joined(separator: "; ")])
        }
        let unknown = computing.contains { $0.tokens != nil && $0.seconds == nil }
        rows.append(["total", "", "\(computing.count) to compute", Units.count(totalTokens), "", "",
                     totalFlops > 0 ? Units.flops(totalFlops) : "-",
                     totalSeconds > 0 ? Units.duration(totalSeconds) + (unknown ? "+?" : "") : (unknown ? "?" : "-"),
                     peakBytes > 0 ? Units.bytes(Int64(peakBytes)) : "-", "steps run one at a time: the run's peak is its largest step's"])
        let widths = (0..<rows[0].count - 1).map { c in rows.map { $0[c].count }.max()! }
        let table = rows.map { r in
            (0..<r.count - 1).map { r[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ") + "  " + r.last!
        }
        var lines = [machine.described] + table + memoryWarnings
        if let dataParallel { lines.append(dataParallel.table) }
        return lines.joined(separator: "\n")
    }
}

public struct Planner {
    /// Sustained training throughput assumed when no run has measured one (GEMM-bound fp32 on two cores
    /// reaches ~185 GFLOP/s; training loops with their elementwise work reach about half).
    public static let assumedFlopsPerSecond = 90e9

    public var store: ArtifactStore
    public var runsRoot: URL
    public var shapes: (any ModelShapeProvider)?
    public var fingerprinter = Fingerprinter()
    /// The machine the times assume (nil: `assumedFlopsPerSecond` on this machine's memory).
    public var machine: PlanMachine?
    /// Also plan the training steps on this many ranks and this network.
    public var ranks: DataParallelPlan.Setup?

    public init(store: ArtifactStore, runsRoot: URL, shapes: (any ModelShapeProvider)? = ModelShapes.provider, machine: PlanMachine? = nil) {
        self.store = store; self.runsRoot = runsRoot; self.shapes = shapes; self.machine = machine
    }

    public func plan(_ manifest: Manifest) -> Plan {
        let graph = StepGraph(manifest: manifest)
        let keys = CacheKeyDeriver(fingerprinter: fingerprinter).keys(for: graph, seed: manifest.seed)
        let previous = RunRecord.latestDirectory(for: manifest, runsRoot: runsRoot).flatMap(RunRecord.load(from:))
        var teacherShape: ModelShape?
        if let t = manifest.teacher { teacherShape = try? shapes?.teacherShape(source: t.source, format: t.format) }
        let studentShape = teacherShape.flatMap { ts in
            manifest.student.flatMap { shapes?.studentShape($0.descriptor, teacher: ts) } ?? ts
        }
        let machine = self.machine ?? PlanMachine(processor: PlanMachine.processorName(), cores: ProcessInfo.processInfo.activeProcessorCount,
                                                  memory: .current(), trainingFlopsPerSecond: Self.assumedFlopsPerSecond, origin: .assumed)
        var dataParallel = ranks.map { DataParallelPlan(setup: $0, shardOptimizer: manifest.distributed.shardOptimizer, steps: []) }
        var decisions: [String: Plan.Decision] = [:]
        var entries: [Plan.Entry] = []
        for node in graph.nodes {
            let key = keys[node.id]!
            var e = Plan.Entry(id: node.id, kind: node.kind, key: key.key, decision: .run, why: [])
            if node.isSource {
                e.decision = .source
                let path = node.settings["source"]?.stringValue ?? ""
                e.why = [FileManager.default.fileExists(atPath: path) ? "read from \(path)" : "MISSING: \(path)"]
            } else if store.contains(key: key.key) {
                e.decision = .cached
                e.why = ["key \(key.key.prefix(12)) in cache"]
            } else {
                e.decision = store.hasCheckpoint(key: key.key) ? .resume : .run
                if e.decision == .resume { e.why.append("partial checkpoint found") }
                if let old = previous?.node(node.id)?["record"] {
                    let d = RecordDiff.diff(old: old, new: key.record)
                    if d.isEmpty { e.why.append("same key as the last run, but the entry is gone from the cache") }
                    else {
                        // Name the upstream node that changed instead of only its key.
                        e.why += d.map { line in
                            guard line.hasPrefix("inputs."), let role = line.split(separator: " ").first?.dropFirst(7),
                                  let input = node.inputs.first(where: { $0.role == role }) else { return line }
                            return "input \(role) changed (\(input.id) \(decisions[input.id].map { $0 == .cached ? "differs" : "will \($0.rawValue)" } ?? "differs"))"
                        }
                    }
                } else {
                    e.why.append("no entry")
                }
            }
            decisions[node.id] = e.decision
            // An implicit order the manifest does not write: an export waits for its model's evaluations.
            let evaluations = node.inputs.filter { $0.role.hasPrefix("evaluations[") }.map(\.id)
            if !evaluations.isEmpty {
                e.why.append("after \(evaluations.joined(separator: ", ")): the model card carries the evaluation of '\(node.step?.after ?? "?")'")
            }
            if let loop = node.step?.decoded.training {
                let tokens = loop.tokens, steps = loop.optimizerSteps
                e.tokens = tokens; e.optimizerSteps = steps; e.sequences = steps * loop.batch
                if let st = studentShape {
                    if loop.trainsOnlyMixers, let ts = teacherShape, st.mixerParameters > 0 {
                        // Stage 1: the teacher's layers without its head, the student's mixers forward + backward.
                        let teacherBody = Double(ts.parameters - Int64(ts.vocabulary) * Int64(ts.hidden))
                        e.flops = (2 * teacherBody + 6 * Double(st.mixerParameters)) * Double(tokens)
                        if manifest.student?.autoSoftmaxLayers != nil {
                            e.flops! += LayerSelection.flops(teacher: ts, tokens: loop.selectionTokens)
                            if e.decision != .cached { e.why.append("then scores every layer on \(Units.count(loop.selectionTokens)) tokens (softmax_layers: auto)") }
                        }
                    } else {
                        // One teacher forward pass per trained token when the teacher runs beside the student.
                        let teacherFwd = loop.usesTeacher ? 2 * Double(teacherShape?.parameters ?? 0) : 0
                        e.flops = (6 * Double(st.parameters) + teacherFwd) * Double(tokens)
                    }
                    if machine.isThisMachine, let rate = previous?.node(node.id)?["tokens_per_s"]?.doubleValue, rate > 0 {
                        e.seconds = Double(tokens) / rate
                    } else {
                        e.seconds = e.flops! / machine.trainingFlopsPerSecond
                    }
                    if let setup = ranks, let step = node.step {
                        dataParallel?.steps.append(DataParallelPlan.estimate(step, loop: loop, oneProcessSeconds: e.seconds, student: st,
                                                         teacher: teacherShape ?? st, setup: setup))
                    }
                }
            }
            if let step = node.step, let st = studentShape {
                let bytes = MemoryEstimate.peak(step, student: st, teacher: teacherShape ?? st)
                if bytes > 0 { e.peakBytes = bytes }
            }
            entries.append(e)
        }
        return Plan(manifest: manifest.name, entries: entries, machine: machine, dataParallel: dataParallel)
    }
}
