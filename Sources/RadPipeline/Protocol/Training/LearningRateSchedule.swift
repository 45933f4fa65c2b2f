import RadOps

/// A learning-rate schedule as a manifest states it (spec §1.6): the record's fields and defaults (what
/// the validator checks and the JSON Schema shows), its decoding, and the `LRSchedule` it becomes once
/// the stage's step size is known. The shapes' names are one list (`Shape`), so a word the validator
/// accepts is one the decoder knows.
public struct LearningRateSchedule: Equatable, Sendable {
    public enum Shape: String, CaseIterable, Sendable {
        case quarterCosine = "quarter_cosine", linear, exp, constant

        var kind: LRSchedule.Kind {
            switch self {
            case .quarterCosine: return .cos
            case .linear: return .linear
            case .exp: return .exp
            case .constant: return .constant
            }
        }
    }

    public var shape: Shape
    public var initLR: Double
    public var finalLR: Double
    public var warmupSteps: Int
    public var wait: Double
    public var endpoint: Double

    public init(shape: Shape, initLR: Double, finalLR: Double, warmupSteps: Int, wait: Double, endpoint: Double) {
        self.shape = shape; self.initLR = initLR; self.finalLR = finalLR
        self.warmupSteps = warmupSteps; self.wait = wait; self.endpoint = endpoint
    }

    /// A constant rate after `warmupSteps` of warm-up (the decay window plays no part).
    public static func constant(_ lr: Double, warmupSteps: Int) -> LearningRateSchedule {
        LearningRateSchedule(shape: .constant, initLR: lr, finalLR: lr, warmupSteps: warmupSteps, wait: 0, endpoint: 1)
    }

    public static let schedules = Shape.allCases.map(\.rawValue)
    /// The warm-up of every training kind's schedule record.
    public static let defaultWarmupSteps: Int64 = 50

    /// The record's fields with their defaults.
    public static var fields: [SettingSpec] {
        [
            SettingSpec("schedule", .choice(schedules), default: .string(Shape.constant.rawValue), "shape of the decay from init to final"),
            SettingSpec("init", .number(min: 0, max: 1), required: true, "learning rate after warm-up"),
            SettingSpec("final", .number(min: 0, max: 1), "learning rate at the end (default: init)"),
            SettingSpec("warmup_steps", .int(min: 0, max: 1 << 40), default: .int(defaultWarmupSteps), "linear warm-up from 1% over this many optimizer steps"),
            SettingSpec("wait", .number(min: 0, max: 1), default: .double(0), "fraction of training before the decay starts (lr_wait)"),
            SettingSpec("endpoint", .number(min: 0, max: 1), default: .double(1), "fraction of training where the decay ends (lr_endpoint)"),
        ]
    }

    /// The validated record of a schedule given its shape and rates, every other field at its default
    /// (a training kind's `lr` default; what a plain number stands for).
    public static func record(shape: String, initLR: Double, finalLR: Double) -> CanonicalValue {
        var o: [String: CanonicalValue] = [:]
        for f in fields { if let d = f.defaultValue { o[f.name] = d } }
        o["schedule"] = .string(shape); o["init"] = .double(initLR); o["final"] = .double(finalLR)
        return .object(o)
    }

    /// From a validated record (the validator fills `final` with `init` when it is left out).
    public init(_ r: StepRecord) throws {
        self.init(shape: try r.choice("schedule"), initLR: try r.double("init"), finalLR: try r.double("final"),
                  warmupSteps: Int(try r.int("warmup_steps")), wait: try r.double("wait"), endpoint: try r.double("endpoint"))
    }

    func schedule(totalTokens: Int, tokensPerStep: Int) -> LRSchedule {
        LRSchedule(kind: shape.kind, initLR: initLR, finalLR: finalLR, warmupSteps: warmupSteps,
                   totalTokens: totalTokens, tokensPerStep: tokensPerStep, wait: wait, endpoint: endpoint)
    }
}
