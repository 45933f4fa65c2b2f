import RadModelZoo
import RadOps
import Foundation

/// Refuses, before anything runs, a manifest whose steps need more memory than there is: each training
/// step's pass (`MemoryEstimate.training`) and each evaluation (`MemoryEstimate.evaluation`), sized from
/// the teacher's header, against `MachineMemory`. `rad validate`, `rad plan` and `rad run` apply it;
/// without a readable teacher nothing is checked here (the validator's static cap still holds).
public struct ManifestMemoryCheck {
    public var shapes: any ModelShapeProvider
    public var available: MachineMemory

    public init(shapes: any ModelShapeProvider, available: MachineMemory) { self.shapes = shapes; self.available = available }

    /// Model sizes from the GGUF header / config.json and the memory of this machine; nil when the memory
    /// cannot be read.
    public static func onThisMachine(environment: [String: String] = ProcessInfo.processInfo.environment) -> ManifestMemoryCheck? {
        MachineMemory.current(environment: environment).map { ManifestMemoryCheck(shapes: ModelZooShapes(), available: $0) }
    }

    public func diagnostics(_ manifest: Manifest) -> [Diagnostic] {
        guard let t = manifest.teacher, let teacher = try? shapes.teacherShape(source: t.source, format: t.format) else { return [] }
        let student = manifest.student.flatMap { shapes.studentShape($0.descriptor, teacher: teacher) } ?? teacher
        var out: [Diagnostic] = []
        for step in manifest.steps {
            let needed = MemoryEstimate.peak(step, student: student, teacher: teacher)
            let setting: String, sizes: String, advice: String
            if let loop = step.decoded.training {
                let micro = loop.microBatchSet
                setting = micro ? "micro_batch" : (step.settingLocations["batch"] != nil || step.settingLocations["seq_len"] == nil ? "batch" : "seq_len")
                sizes = "at \(micro ? "micro_batch" : "batch") \(micro ? loop.microBatch : loop.batch) x seq_len \(loop.seqLen)"
                // Advising checkpointing to a step that has it on would send the user round in a circle.
                advice = MemoryEstimate.advice(microBatchSet: micro, checkpointingHelps: !loop.activationCheckpointing)
            } else if let windows = step.decoded.scoring {
                setting = "seq_len"
                sizes = "to score windows of seq_len \(windows.seqLen), \(Scorer.defaultBatch) at a time"
                advice = "lower seq_len"
            } else { continue }
            guard needed > Double(available.bytes) else { continue }
            let at = step.settingLocations[setting] ?? step.location
            out.append(Diagnostic("step '\(step.name)' needs about \(Units.bytes(Int64(min(needed, 9e18)))) \(sizes) "
                                  + "(vocab \(student.vocabulary)); \(available.described); \(advice)", at: at, category: .range))
        }
        return out
    }
}
