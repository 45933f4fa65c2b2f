import Foundation

/// What the report reads from a run folder (`runs/NAME/RUN-ID/`, or an older rad's `runs/NAME/`): the run
/// record (`run.json`), the training curves (`metrics.jsonl`; of its last run where an older folder holds several) and the evaluation (`eval.json`). Any of them may be
/// missing; the report draws what there is.
struct RunFolder {
    var directory: URL
    var record: RunRecord?
    var curves: [StepCurves]
    var evaluation: CanonicalValue?

    init(_ directory: URL) {
        self.directory = directory
        record = RunRecord.load(from: directory)
        curves = TrainingMetrics.load(directory.appendingPathComponent("metrics.jsonl"))
        evaluation = FileManager.default.contents(atPath: directory.appendingPathComponent("eval.json").path)
            .flatMap { try? JSONReader.parse($0) }
    }

    var name: String { record?.value["manifest"]?.stringValue ?? directory.lastPathComponent }

    /// The steps in the order the run executed them (run records before `order` existed: none).
    var order: [String] { record?.value["order"]?.arrayValue?.compactMap(\.stringValue) ?? [] }

    /// `a` before `b` in the run's order; names missing from it come after, alphabetically.
    func ordered(_ a: String, _ b: String) -> Bool {
        let order = self.order
        let i = order.firstIndex(of: a) ?? Int.max, j = order.firstIndex(of: b) ?? Int.max
        return i != j ? i < j : a < b
    }

    func kind(of step: String) -> String? { record?.node(step)?["kind"]?.stringValue }

    /// A step's settings as its cache key hashed them (defaults filled in), else as the manifest wrote them.
    func settings(of step: String) -> [String: CanonicalValue] {
        record?.node(step)?["record"]?["settings"]?.objectValue
            ?? record?.value["resolved"]?["steps"]?[step]?.objectValue ?? [:]
    }
}
