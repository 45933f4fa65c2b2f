import RadModelZoo
import RadOps

/// Renders `schemas/manifest.schema.json` (JSON Schema draft 2020-12) from the same tables the validator
/// reads (`TopLevelSchema`, `EngineStepKinds`, `ArchitectureCatalog`). Generating rather than hand-writing
/// the schema means the two cannot drift; a test checks the committed file equals this output and that
/// the schema and the validator accept and reject the same manifests.
///
/// The schema describes the manifest after `extends:` merging and `${...}` interpolation (a base file
/// alone may lack required keys). Ranges (minimum/maximum, whole sizes) and cross-references between
/// steps are left to `rad validate`; everything else (keys, types, allowed words) is in the schema.
public enum JSONSchemaGenerator {
    public static func schema() -> CanonicalValue {
        var defs: [String: CanonicalValue] = [
            "size": .object([
                "description": .string("a count: 100M, 2.5k, 1_000_000, 1e6 (k, M, G/B, T are powers of 1000)"),
                "anyOf": .array([.object(["type": .string("integer")]), .object(["type": .string("string"), "pattern": .string(SizeParser.pattern)])]),
            ]),
            "lr_schedule": record(LearningRateSchedule.fields, description: "learning-rate schedule (spec §1.6)"),
            "learning_rate": .object([
                "description": .string("a constant learning rate, or a schedule"),
                "anyOf": .array([.object(["type": .string("number")]), .object(["$ref": .string("#/$defs/lr_schedule")])]),
            ]),
        ]
        for kind in EngineStepKinds.all {
            var props: [String: CanonicalValue] = ["kind": .object(["const": .string(kind.name)])]
            for s in kind.settings { props[s.name] = annotated(s) }
            defs["step_" + kind.name] = .object([
                "type": .string("object"), "description": .string(kind.summary), "properties": .object(props),
                "required": .array((["kind"] + kind.settings.filter(\.required).map(\.name)).map { .string($0) }),
                "additionalProperties": .bool(false),
            ])
        }
        for arch in ArchitectureCatalog.all {
            var options: [String: CanonicalValue] = [:]
            for o in arch.options {
                var s = type(ManifestValidator.valueType(o.kind)).objectValue ?? [:]
                s["description"] = .string(o.summary)
                s["default"] = ManifestValidator.canonical(o.defaultValue)
                options[o.name] = .object(s)
            }
            var props: [String: CanonicalValue] = [:]
            for s in TopLevelSchema.student { props[s.name] = annotated(s) }
            props["architecture"] = .object(["const": .string(arch.name), "description": .string(arch.summary)])
            props["options"] = .object(["type": .string("object"), "properties": .object(options), "additionalProperties": .bool(false)])
            defs["student_" + arch.name] = .object([
                "type": .string("object"), "properties": .object(props),
                "required": .array([.string("architecture")]), "additionalProperties": .bool(false),
            ])
        }
        defs["data_source"] = .object(["oneOf": .array(TopLevelSchema.dataKinds.map { record($0.fields + TopLevelSchema.dataCommon) })])

        let top: [String: CanonicalValue] = [
            "name": .object(["type": .string("string"), "pattern": .string(TopLevelSchema.namePattern),
                             "description": .string("names the run folder and the exported model")]),
            "seed": .object(["type": .string("integer"), "description": .string("seed of every random choice (init, data order)")]),
            "extends": .object(["type": .string("string"), "description": .string("base manifest, merged deeply under this one")]),
            "vars": .object(["type": .string("object"), "description": .string("variables for ${name} interpolation"),
                             "additionalProperties": .object(["type": .array(["string", "number", "boolean"].map { .string($0) })])]),
            "teacher": record(TopLevelSchema.teacher, description: "the softmax-attention model to convert"),
            "tokenizer": record(TopLevelSchema.tokenizer, description: "tokenizer, when the teacher does not carry one"),
            "data": .object(["type": .string("object"), "description": .string("named data sources (train, heldout, ...)"),
                             "propertyNames": .object(["pattern": .string(TopLevelSchema.namePattern)]),
                             "additionalProperties": .object(["$ref": .string("#/$defs/data_source")])]),
            "distributed": record(TopLevelSchema.distributed, description: "how the ranks of an `mpirun` job share the work"),
            "student": .object(["oneOf": .array(ArchitectureCatalog.all.map { .object(["$ref": .string("#/$defs/student_\($0.name)")]) })]),
            "steps": .object([
                "type": .string("object"), "minProperties": .int(1),
                "propertyNames": .object(["pattern": .string(TopLevelSchema.namePattern)]),
                "additionalProperties": .object(["oneOf": .array(EngineStepKinds.all.map { .object(["$ref": .string("#/$defs/step_\($0.name)")]) })]),
            ]),
        ]
        return .object([
            "$schema": .string("https://json-schema.org/draft/2020-12/schema"),
            "$id": .string("https://github.com/rad/schemas/manifest.schema.json"),
            "title": .string("rad pipeline manifest"),
            "description": .string("Generated by `rad validate --print-schema` from the engine's tables; do not edit by hand."),
            "type": .string("object"),
            "properties": .object(top),
            "required": .array([.string("name"), .string("steps")]),
            "additionalProperties": .bool(false),
            "$defs": .object(defs),
        ])
    }

    static func annotated(_ s: SettingSpec) -> CanonicalValue {
        var o = type(s.type).objectValue ?? [:]
        o["description"] = .string(s.summary + (s.affectsOutput ? "" : " (cosmetic: not part of the cache key)"))
        if let d = s.defaultValue { o["default"] = d }
        return .object(o)
    }

    static func record(_ fields: [SettingSpec], description: String? = nil) -> CanonicalValue {
        var props: [String: CanonicalValue] = [:]
        for s in fields { props[s.name] = annotated(s) }
        var o: [String: CanonicalValue] = [
            "type": .string("object"), "properties": .object(props), "additionalProperties": .bool(false),
            "required": .array(fields.filter(\.required).map { .string($0.name) }),
        ]
        if let description { o["description"] = .string(description) }
        return .object(o)
    }

    static func type(_ t: ValueType) -> CanonicalValue {
        switch t {
        case .bool: return .object(["type": .string("boolean")])
        case .int: return .object(["type": .string("integer")])
        case .size: return .object(["$ref": .string("#/$defs/size")])
        case .number: return .object(["type": .string("number")])
        case .string(let p):
            var o: [String: CanonicalValue] = ["type": .string("string")]
            if let p { o["pattern"] = .string(p) }
            return .object(o)
        case .path, .stepRef, .modelRef, .dataRef: return .object(["type": .string("string")])
        case .choice(let c): return .object(["enum": .array(c.map { .string($0) })])
        case .intOrAuto: return .object(["anyOf": .array([.object(["type": .string("integer")]), .object(["const": .string("auto")])])])
        case .layerCountOrAuto:
            let auto = CanonicalValue.object(["type": .string("object"), "additionalProperties": .bool(false), "required": .array([.string("auto")]),
                                              "properties": .object(["auto": .object(["type": .string("integer"), "minimum": .int(1)])])])
            return .object(["anyOf": .array([.object(["type": .string("integer"), "minimum": .int(0)]), auto])])
        case .countOrAll: return .object(["anyOf": .array([.object(["type": .string("integer")]), .object(["const": .string("all")])])])
        case .list(let e, let single):
            let arr = CanonicalValue.object(["type": .string("array"), "items": type(e)])
            return single ? .object(["anyOf": .array([arr, type(e)])]) : arr
        case .record(_, let fields): return record(fields)
        case .learningRate: return .object(["$ref": .string("#/$defs/learning_rate")])
        }
    }
}
