import Foundation

/// A kind of node of the step graph, with its executor: the written step kinds (`StepKind`) and the
/// implicit nodes the graph adds by itself (`tokenize`, `init_student`). `StepKinds.engine` lists them.
public protocol NodeKind: StepExecutor {
    static var name: String { get }
    /// The executor the engine runs (kinds are stateless; tests may register instances with state).
    init()
    /// The node's settings as they enter its cache key: file paths replaced by the files' fingerprints,
    /// so that moving a checkout keeps the key. Default: the settings as they are.
    static func keySettings(_ settings: [String: CanonicalValue], fingerprinter: Fingerprinter) -> [String: CanonicalValue]
    /// Whether every rank of an `mpirun` job runs the node, each its share of the work (`RunCoordinator`);
    /// otherwise rank 0 runs it alone. Default: no.
    static var sharedByRanks: Bool { get }
    /// Keys of further cache entries the node writes beside its own (derived from its key), which
    /// `rad cache gc --keep` keeps with it. Default: none.
    static func derivedKeys(_ key: CacheKey) -> [String]
}

extension NodeKind {
    public static var sharedByRanks: Bool { false }
    public static func derivedKeys(_ key: CacheKey) -> [String] { [] }
    public static func keySettings(_ settings: [String: CanonicalValue], fingerprinter: Fingerprinter) -> [String: CanonicalValue] {
        settings
    }
}

/// A step kind a manifest can write: its spec (what the validator, the JSON Schema and `--print-schema`
/// show), its settings as one typed value decoded once from the validated record, what it needs from the
/// rest of the manifest (the inputs the graph adds for it), the planner's facts, and its executor.
///
/// Adding a kind is one type conforming to this and one entry in `StepKinds.engine`; a test adds its own
/// with `StepKindCatalog.shared.register(K.self)`.
public protocol StepKind: NodeKind {
    associatedtype Settings: Sendable
    static var spec: StepKindSpec { get }
    /// The typed settings. `record` is the validated record: every setting with a default is in it, so
    /// a value missing there is a bug (`StepRecord` reports it as a `StepFailure`).
    static func decode(_ record: StepRecord) throws -> Settings
    /// What the step reads besides the models its `after:`/`models:` name. Default: nothing.
    static func needs(_ settings: Settings) -> StepNeeds
    /// The training loop the step runs, for the planner's counts and the memory check (nil: none).
    static func training(_ settings: Settings) -> TrainingLoop?
    /// The windows the step scores, for the memory check (nil: none).
    static func scoring(_ settings: Settings) -> ScoringWindows?
    /// Problems with values the schema allows but the engine cannot honour (reported at the setting).
    static func problems(_ settings: Settings) -> [SettingProblem]
    /// The folder outside the cache the step writes (checked by `ExportTarget` before anything runs).
    static func writesFolder(_ settings: Settings) -> FolderOutput?
    func run(_ settings: Settings, _ context: StepContext) throws -> StepOutput
    /// After the artifact exists (see `StepExecutor.materialize`). Default: nothing.
    func materialize(_ settings: Settings, _ context: StepContext, artifact: Artifact) throws
}

extension StepKind {
    public static var name: String { spec.name }
    public static func needs(_ settings: Settings) -> StepNeeds { StepNeeds() }
    public static func training(_ settings: Settings) -> TrainingLoop? { nil }
    public static func scoring(_ settings: Settings) -> ScoringWindows? { nil }
    public static func problems(_ settings: Settings) -> [SettingProblem] { [] }
    public static func writesFolder(_ settings: Settings) -> FolderOutput? { nil }
    public func materialize(_ settings: Settings, _ context: StepContext, artifact: Artifact) throws {}

    public func execute(_ context: StepContext) throws -> StepOutput { try run(try Self.settings(context), context) }
    public func materialize(_ context: StepContext, artifact: Artifact) throws {
        try materialize(try Self.settings(context), context, artifact: artifact)
    }

    /// The node's decoded settings (the validator decoded them with this kind's `decode`).
    static func settings(_ context: StepContext) throws -> Settings {
        guard let decoded = context.node.step?.decoded as? DecodedSettings<Self> else {
            throw StepFailure("step '\(context.node.id)' (\(context.node.kind)) has no decoded \(Self.name) settings (a bug)")
        }
        return decoded.settings
    }

    /// Decodes a validated record into the value `Manifest.Step` carries.
    static func decodeStep(_ record: StepRecord) throws -> any DecodedStep { DecodedSettings<Self>(settings: try decode(record)) }
}

/// What one step kind is, as the manifest sees it: its settings (with types, defaults and whether they
/// affect outputs) and its place in the graph.
public struct StepKindSpec: Sendable {
    public enum ModelInput: Sendable { case none, optional, required }

    public var name: String
    public var summary: String
    public var settings: [SettingSpec]
    /// `after:` names the step whose model this step consumes (optional = the freshly initialised student).
    public var modelInput: ModelInput
    public var producesModel: Bool

    public init(name: String, summary: String, settings: [SettingSpec], modelInput: ModelInput, producesModel: Bool) {
        self.name = name; self.summary = summary; self.settings = settings; self.modelInput = modelInput
        self.producesModel = producesModel
    }

    public func setting(named name: String) -> SettingSpec? { settings.first { $0.name == name } }
}

/// What a step reads from the rest of the manifest besides the models it names: the graph adds these as
/// its inputs (so they enter its key) and the checker requires them.
public struct StepNeeds: Sendable, Equatable {
    /// The step reads the teacher (beside `models: [teacher]`, which is a model input of its own).
    public var teacher: Bool
    /// The `data:` entry the step reads.
    public var data: DataUse?
    /// Why the step tokenises text itself (e.g. "runs benchmarks"): the tokenizer becomes an input.
    public var tokenizerFor: String?
    /// The benchmark request files the step reads (checked to exist before anything runs).
    public var benchmarks: BenchmarkFiles?
    /// The step reads the results of every evaluate step whose `models:` name its `after:` model (an
    /// export's model card): the graph runs those first and makes them inputs (`evaluations[i]`).
    public var evaluationsOfItsModel: Bool

    public struct BenchmarkFiles: Sendable, Equatable {
        /// Absolute path of the folder.
        public var folder: String
        public var tasks: [EvalTask]
        public init(folder: String, tasks: [EvalTask]) { self.folder = folder; self.tasks = tasks }
    }

    public struct DataUse: Sendable, Equatable {
        public var name: String
        /// The error when the entry is the setting's default and the manifest lacks it (nil: the generic
        /// "uses data '…', which is not defined" message).
        public var missingDefault: String?
        public init(_ name: String, missingDefault: String? = nil) { self.name = name; self.missingDefault = missingDefault }
    }

    public init(teacher: Bool = false, data: DataUse? = nil, tokenizerFor: String? = nil, benchmarks: BenchmarkFiles? = nil,
                evaluationsOfItsModel: Bool = false) {
        self.teacher = teacher; self.data = data; self.tokenizerFor = tokenizerFor; self.benchmarks = benchmarks
        self.evaluationsOfItsModel = evaluationsOfItsModel
    }
}

/// A training loop as the planner and the memory check count it.
public struct TrainingLoop: Sendable, Equatable {
    public var tokens: Int64
    public var seqLen: Int64
    /// Sequences per optimizer step.
    public var batch: Int64
    /// Sequences per forward/backward pass (`micro_batch`, or `batch`).
    public var microBatch: Int64
    /// Whether `micro_batch` was set (the memory advice differs).
    public var microBatchSet: Bool
    public var activationCheckpointing: Bool
    /// Whether the teacher runs beside the student.
    public var usesTeacher: Bool
    /// Stage 1's cost model: the teacher runs without its head and only the student's mixers run and train.
    public var trainsOnlyMixers: Bool
    /// Stage 1 with `softmax_layers: { auto: K }`: the tokens each layer is scored on after it (`LayerSelection`).
    public var selectionTokens: Int64 = 0

    public init(tokens: Int64, seqLen: Int64, batch: Int64, microBatch: Int64? = nil, activationCheckpointing: Bool = false,
                usesTeacher: Bool = false, trainsOnlyMixers: Bool = false) {
        self.tokens = tokens; self.seqLen = seqLen; self.batch = batch; self.microBatch = microBatch ?? batch
        self.microBatchSet = microBatch != nil; self.activationCheckpointing = activationCheckpointing
        self.usesTeacher = usesTeacher; self.trainsOnlyMixers = trainsOnlyMixers
    }

    public var tokensPerStep: Int64 { batch * seqLen }
    public var optimizerSteps: Int64 { Int64(TrainingSettings.optimizerSteps(tokens: Int(tokens), tokensPerStep: Int(tokensPerStep))) }
}

/// Windows a step scores at once (an evaluation's perplexity), for the memory check.
public struct ScoringWindows: Sendable, Equatable {
    public var seqLen: Int64
    /// The models scored one after the other (`teacher` or step names).
    public var models: [String]
    public init(seqLen: Int64, models: [String]) { self.seqLen = seqLen; self.models = models }
}

/// A value the schema allows that the engine cannot honour: the validator reports it at the setting.
public struct SettingProblem: Sendable, Equatable {
    public var setting: String
    public var message: String
    public init(setting: String, _ message: String) { self.setting = setting; self.message = message }
}

/// A folder a step writes outside the cache, and the setting that names it.
public struct FolderOutput: Sendable, Equatable {
    public var setting: String
    public var path: String
    public init(setting: String, path: String) { self.setting = setting; self.path = path }
}

/// A step's decoded settings with the questions the graph, the checker and the planner ask of its kind.
public protocol DecodedStep: Sendable {
    var kind: any StepKind.Type { get }
    var needs: StepNeeds { get }
    var training: TrainingLoop? { get }
    var scoring: ScoringWindows? { get }
    var problems: [SettingProblem] { get }
    var writesFolder: FolderOutput? { get }
}

struct DecodedSettings<K: StepKind>: DecodedStep {
    let settings: K.Settings
    var kind: any StepKind.Type { K.self }
    var needs: StepNeeds { K.needs(settings) }
    var training: TrainingLoop? { K.training(settings) }
    var scoring: ScoringWindows? { K.scoring(settings) }
    var problems: [SettingProblem] { K.problems(settings) }
    var writesFolder: FolderOutput? { K.writesFolder(settings) }
}

/// The validated record of one step, read by type. Every value is there (defaults filled), so a missing
/// or mistyped one is a bug in the kind's spec, reported as a `StepFailure` naming the setting.
public struct StepRecord: Sendable {
    public var step: String
    public var kind: String
    public var values: [String: CanonicalValue]

    public init(step: String, kind: String, values: [String: CanonicalValue]) {
        self.step = step; self.kind = kind; self.values = values
    }

    func value(_ key: String) throws -> CanonicalValue {
        guard let v = values[key] else { throw failure(key, "missing") }
        return v
    }
    func failure(_ key: String, _ what: String) -> StepFailure {
        StepFailure("step '\(step)' (\(kind)): setting '\(key)' is \(what) after validation (a bug in the kind's spec)")
    }

    public func int(_ key: String) throws -> Int64 {
        guard let v = try value(key).intValue else { throw failure(key, "not a whole number") }
        return v
    }
    public func double(_ key: String) throws -> Double {
        guard let v = try value(key).doubleValue else { throw failure(key, "not a number") }
        return v
    }
    public func bool(_ key: String) throws -> Bool {
        guard let v = try value(key).boolValue else { throw failure(key, "not true or false") }
        return v
    }
    public func string(_ key: String) throws -> String {
        guard let v = try value(key).stringValue else { throw failure(key, "not a string") }
        return v
    }
    public func strings(_ key: String) throws -> [String] {
        guard let items = try value(key).arrayValue else { throw failure(key, "not a list") }
        return try items.map { guard let s = $0.stringValue else { throw failure(key, "not a list of strings") }; return s }
    }
    /// A word of a closed set (a `.choice` setting).
    public func choice<T: RawRepresentable>(_ key: String, as: T.Type = T.self) throws -> T where T.RawValue == String {
        guard let v = T(rawValue: try string(key)) else { throw failure(key, "'\(try string(key))', not one of its choices,") }
        return v
    }
    /// A setting without a default (absent when the manifest does not write it).
    public func optional<T>(_ key: String, _ read: (StepRecord) -> (String) throws -> T) throws -> T? {
        values[key] == nil ? nil : try read(self)(key)
    }
    /// A record setting (`lr`).
    public func record(_ key: String) throws -> StepRecord {
        guard let o = try value(key).objectValue else { throw failure(key, "not a record") }
        return StepRecord(step: step, kind: kind + " " + key, values: o)
    }
    /// A record setting without a default of its own (`adam`): left out, it is its fields' defaults
    /// (written, the validator filled them in).
    public func record(_ key: String, orDefaultsOf spec: SettingSpec) throws -> StepRecord {
        if values[key] != nil { return try record(key) }
        guard case .record(_, let fields) = spec.type else { throw failure(key, "not a record setting") }
        var defaults: [String: CanonicalValue] = [:]
        for f in fields { if let d = f.defaultValue { defaults[f.name] = d } }
        return StepRecord(step: step, kind: kind + " " + key, values: defaults)
    }
}
