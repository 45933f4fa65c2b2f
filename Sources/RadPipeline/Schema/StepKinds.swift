import Foundation

/// The engine's node kinds, in one list: the spec catalog (what the validator accepts), the JSON Schema
/// and `--print-schema` (the written kinds' specs), the executors (`ExecutorRegistry.engine`) and the
/// cache key's content addressing all derive from it. A new kind is one type and one line here.
public enum StepKinds {
    public static let engine: [any NodeKind.Type] = [
        TokenizeStep.self, InitStudentExecutor.self,
        AlignHiddenStatesStep.self, DistillLogitsStep.self, FinetuneStep.self,
        ExportHFStep.self, EvaluateStep.self,
    ]
}

/// Every node kind by name: the engine's (`StepKinds.engine`) and those tests register.
public final class StepKindCatalog: @unchecked Sendable {
    public static let shared = StepKindCatalog()
    private let lock = NSLock()
    private var kinds: [String: any NodeKind.Type] = [:]
    private var order: [String] = []

    private init() { for k in StepKinds.engine { register(k) } }

    /// Adds (or replaces) a kind: the validator, the graph, the planner and `ExecutorRegistry.registered`
    /// know it from then on.
    public func register(_ kind: any NodeKind.Type) {
        lock.lock(); defer { lock.unlock() }
        if kinds[kind.name] == nil { order.append(kind.name) }
        kinds[kind.name] = kind
    }

    public func nodeKind(_ name: String) -> (any NodeKind.Type)? { lock.lock(); defer { lock.unlock() }; return kinds[name] }
    public func stepKind(_ name: String) -> (any StepKind.Type)? { nodeKind(name) as? any StepKind.Type }
    public func spec(_ name: String) -> StepKindSpec? { stepKind(name)?.spec }
    /// Every registered kind, in the order registered.
    public var nodeKinds: [any NodeKind.Type] { lock.lock(); defer { lock.unlock() }; return order.compactMap { kinds[$0] } }
    /// The kinds a manifest can write (the implicit ones excluded).
    public var all: [StepKindSpec] { nodeKinds.compactMap { ($0 as? any StepKind.Type)?.spec } }
}

/// The specs of the engine's written kinds (what `schemas/manifest.schema.json` describes; test kinds
/// excluded), read by the JSON Schema generator.
public enum EngineStepKinds {
    public static var all: [StepKindSpec] { StepKinds.engine.compactMap { ($0 as? any StepKind.Type)?.spec } }

    /// The record of a learning rate written as a schedule's words and rates (the other fields at their
    /// `LearningRateSchedule.fields` defaults); what a plain number `lr: 1e-5` stands for.
    public static func schedule(_ shape: String, _ initLR: Double, _ finalLR: Double) -> CanonicalValue {
        LearningRateSchedule.record(shape: shape, initLR: initLR, finalLR: finalLR)
    }
}
