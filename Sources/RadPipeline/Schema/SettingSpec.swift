/// The types a manifest value can have. The validator (`ValueChecker`) and the JSON Schema generator
/// (`JSONSchemaGenerator`) both read these tables, so the two cannot describe different languages.
public indirect enum ValueType: Sendable {
    case bool
    /// A plain integer (no size suffix).
    case int(min: Int64, max: Int64)
    /// A count as users write it: `100M`, `2.5k`, `1_000_000`, `1e6` (suffixes k, M, G/B, T are powers of 1000).
    case size(min: Int64)
    /// A finite real number (`1e-5`, `0.95`).
    case number(min: Double?, max: Double?)
    case string(pattern: String?)
    /// A file-system path, relative to the manifest that names it.
    case path
    case choice([String])
    /// `auto` or a whole number from 1 to `max`.
    case intOrAuto(max: Int64)
    /// `all` or a whole number from 0 to `max`; `all` is stored as 0, so writing it and leaving the
    /// setting at its default of 0 give the same cache key.
    case countOrAll(max: Int64)
    /// A count of layers from 0 to `max`, or `{ auto: K }`: K layers chosen by measurement (stored as
    /// the object `{auto: K}`).
    case layerCountOrAuto(max: Int64)
    /// A list; `allowSingle` also accepts one bare value in place of a one-element list.
    case list(ValueType, allowSingle: Bool)
    /// A record with a fixed set of keys.
    case record(name: String, [SettingSpec])
    /// `constant_number` or a schedule record (see `LearningRateSchedule`).
    case learningRate
    /// The name of a model-producing step.
    case stepRef
    /// A model-producing step or `teacher`.
    case modelRef
    /// The name of an entry of `data:`.
    case dataRef
}

/// One setting of a record (a step kind, `adam`, a data source, ...).
public struct SettingSpec: Sendable {
    public var name: String
    public var type: ValueType
    /// Used when the manifest does not give the setting. nil = the setting is required (if `required`)
    /// or simply absent.
    public var defaultValue: CanonicalValue?
    public var required: Bool
    /// Whether the setting changes what the step produces. Cosmetic settings stay out of cache keys.
    public var affectsOutput: Bool
    public var summary: String

    public init(_ name: String, _ type: ValueType, default defaultValue: CanonicalValue? = nil, required: Bool = false,
                cosmetic: Bool = false, _ summary: String) {
        self.name = name; self.type = type; self.defaultValue = defaultValue; self.required = required
        self.affectsOutput = !cosmetic; self.summary = summary
    }
}
