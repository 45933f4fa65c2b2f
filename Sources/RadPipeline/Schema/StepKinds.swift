import Foundation

/// What one step kind is: its settings (with types, defaults and whether they affect outputs) and what it
/// needs from the rest of the manifest.
public struct StepKindSpec: Sendable {
    public enum ModelInput: Sendable { case none, optional, required }

    public var name: String
    public var summary: String
    public var settings: [SettingSpec]
    /// `after:` names the step whose model this step consumes (optional = the freshly initialised student).
    public var modelInput: ModelInput
    public var producesModel: Bool
    /// Whether the step reads the teacher given its resolved settings (e.g. finetune only with kl_weight > 0).
    public var needsTeacher: @Sendable ([String: CanonicalValue]) -> Bool
    /// Whether the step trains or evaluates on token streams (so text data needs a tokenizer).
    public var usesData: Bool
    /// Whether `tokens`/`seq_len`/`batch` describe a training loop (for the planner's step counts and FLOPs).
    public var isTraining: Bool
    /// Forward passes of the teacher per trained token (0, or 1 for distillation-style steps).
    public var teacherForwardPerToken: @Sendable ([String: CanonicalValue]) -> Double
    /// Stage 1's cost model: the teacher runs without its head and only the student's mixers run and train
    /// (instead of the whole student).
    public var trainsOnlyMixers: Bool

    public init(name: String, summary: String, settings: [SettingSpec], modelInput: ModelInput, producesModel: Bool,
                usesData: Bool, isTraining: Bool, trainsOnlyMixers: Bool = false,
                needsTeacher: @escaping @Sendable ([String: CanonicalValue]) -> Bool = { _ in false },
                teacherForwardPerToken: @escaping @Sendable ([String: CanonicalValue]) -> Double = { _ in 0 }) {
        self.name = name; self.summary = summary; self.settings = settings; self.modelInput = modelInput
        self.producesModel = producesModel; self.usesData = usesData; self.isTraining = isTraining
        self.trainsOnlyMixers = trainsOnlyMixers
        self.needsTeacher = needsTeacher; self.teacherForwardPerToken = teacherForwardPerToken
    }

    public func setting(named name: String) -> SettingSpec? { settings.first { $0.name == name } }
}

/// The registry of step kinds. The engine's kinds are built in; tests register their own kinds.
public final class StepKindCatalog: @unchecked Sendable {
    public static let shared = StepKindCatalog()
    private let lock = NSLock()
    private var kinds: [String: StepKindSpec] = [:]
    private var order: [String] = []

    private init() { for k in EngineStepKinds.all { register(k) } }

    public func register(_ spec: StepKindSpec) {
        lock.lock(); defer { lock.unlock() }
        if kinds[spec.name] == nil { order.append(spec.name) }
        kinds[spec.name] = spec
    }
    public func spec(_ name: String) -> StepKindSpec? { lock.lock(); defer { lock.unlock() }; return kinds[name] }
    public var all: [StepKindSpec] { lock.lock(); defer { lock.unlock() }; return order.compactMap { kinds[$0] } }
    /// The engine's own kinds (what `schemas/manifest.schema.json` describes; test kinds excluded).
    public var engineKinds: [StepKindSpec] { EngineStepKinds.all }
}

/// The protocol's step kinds with the paper's values (spec §1.8 Table 2) as defaults.
public enum EngineStepKinds {
    public static let evaluationTasks = ["lambada", "hellaswag", "piqa", "winogrande", "arc_easy", "arc_challenge"]

    static let adam = SettingSpec("adam", .record(name: "adam", [
        SettingSpec("beta1", .number(min: 0, max: 0.999999), default: .double(0.9), "first-moment decay"),
        SettingSpec("beta2", .number(min: 0, max: 0.999999999), default: .double(0.95), "second-moment decay"),
        SettingSpec("eps", .number(min: 0, max: 1), default: .double(1e-8), "denominator epsilon"),
        SettingSpec("weight_decay", .number(min: 0, max: 1), default: .double(0), "decoupled weight decay (AdamW)"),
    ]), "AdamW hyper-parameters")

    /// The settings every training step has. `lr_attention` defaults to `lr` (resolved by the checker).
    static func training(tokens: Int64, seqLen: Int64, batch: Int64, lr: CanonicalValue) -> [SettingSpec] {
        [
            SettingSpec("after", .stepRef, "step whose model this step continues (default: the initialised student)"),
            SettingSpec("data", .dataRef, default: .string("train"), "entry of `data:` to train on"),
            SettingSpec("tokens", .size(min: 1), default: .int(tokens), "training budget in tokens"),
            SettingSpec("seq_len", .int(min: 1, max: 1 << 20), default: .int(seqLen), "tokens per training sequence"),
            SettingSpec("batch", .int(min: 1, max: 1 << 20), default: .int(batch), "sequences per optimizer step"),
            SettingSpec("micro_batch", .int(min: 1, max: 1 << 20),
                        "sequences per forward/backward pass, a divisor of batch (default: batch); gradients accumulate "
                        + "over batch / micro_batch passes: less memory, the same update up to float rounding"),
            SettingSpec("lr", .learningRate, default: lr, "learning rate of everything but the replacement mixer (LR_main)"),
            SettingSpec("lr_attention", .learningRate, "learning rate of the `.self_attn.` group (LR_att; default: lr)"),
            adam,
            SettingSpec("grad_clip", .number(min: 0, max: nil), default: .double(1.0), "global gradient-norm clip (0 = off)"),
            SettingSpec("checkpoint_every", .int(min: 0, max: 1 << 40), default: .int(0), cosmetic: true,
                        "optimizer steps between resumable checkpoints (0 = only the time-based ones); resume is exact"),
            SettingSpec("checkpoint_minutes", .number(min: 0, max: nil), default: .double(TrainingSettings.defaultCheckpointMinutes),
                        cosmetic: true, "minutes of training between resumable checkpoints (0 = none), so that an interrupted "
                        + "long stage resumes instead of starting over; resume is exact"),
            SettingSpec("log_every", .int(min: 1, max: 1 << 40), default: .int(10), cosmetic: true, "optimizer steps between metric lines"),
            SettingSpec("threads", .int(min: 0, max: 4096), default: .int(0), cosmetic: true, "worker threads (0 = all cores); results are bit-identical"),
            SettingSpec("activation_checkpointing", .bool, default: .bool(false), cosmetic: true,
                        "keep only each layer's input and recompute the layer in the backward pass: activation memory "
                        + "of one layer instead of all, for one more forward pass; results are bit-identical"),
        ]
    }

    static func schedule(_ s: String, _ i: Double, _ f: Double, warmup: Int64 = 50, wait: Double = 0, endpoint: Double = 1) -> CanonicalValue {
        .object(["schedule": .string(s), "init": .double(i), "final": .double(f), "warmup_steps": .int(warmup),
                 "wait": .double(wait), "endpoint": .double(endpoint)])
    }

    public static let alignHiddenStates = StepKindSpec(
        name: "align_hidden_states",
        summary: "stage 1: train each replacement mixer to reproduce its teacher attention's output",
        settings: training(tokens: 100_000_000, seqLen: 512, batch: 32, lr: schedule("quarter_cosine", 1e-3, 1e-5)) + [
            SettingSpec("loss", .choice(["l2_rms", "mse"]), default: .string("l2_rms"),
                        "per-token L2 norm / sqrt(C) (the code's loss) or mean squared error"),
        ],
        modelInput: .optional, producesModel: true, usesData: true, isTraining: true, trainsOnlyMixers: true,
        needsTeacher: { _ in true }, teacherForwardPerToken: { _ in 1 })

    public static let distillLogits = StepKindSpec(
        name: "distill_logits",
        summary: "stage 2/2a: train the whole student to match the teacher's logits (KL)",
        settings: training(tokens: 500_000_000, seqLen: 512, batch: 96, lr: schedule("constant", 1e-5, 1e-5)) + [
            SettingSpec("kl_weight", .number(min: 0, max: nil), default: .double(1), "weight of KL(teacher || student)"),
            SettingSpec("ce_weight", .number(min: 0, max: nil), default: .double(0), "weight of next-token cross-entropy"),
            SettingSpec("temperature", .number(min: 0.01, max: 100), default: .double(1), "softmax temperature of both distributions"),
        ],
        modelInput: .optional, producesModel: true, usesData: true, isTraining: true,
        needsTeacher: { _ in true }, teacherForwardPerToken: { _ in 1 })

    public static let finetune = StepKindSpec(
        name: "finetune",
        summary: "stage 3: long-context fine-tuning on next-token cross-entropy (optionally plus KL)",
        settings: training(tokens: 100_000_000, seqLen: 16384, batch: 96, lr: schedule("constant", 1e-5, 1e-5)) + [
            SettingSpec("kl_weight", .number(min: 0, max: nil), default: .double(0), "weight of KL to the teacher (> 0 needs a teacher)"),
            SettingSpec("ce_weight", .number(min: 0, max: nil), default: .double(1), "weight of next-token cross-entropy"),
            SettingSpec("trainable", .choice(["all", "decay_tokenshift"]), default: .string("all"),
                        "which parameters train: all, or only decay and tokenshift (stage 3a)"),
        ],
        modelInput: .optional, producesModel: true, usesData: true, isTraining: true,
        needsTeacher: { ($0["kl_weight"]?.doubleValue ?? 0) > 0 },
        teacherForwardPerToken: { ($0["kl_weight"]?.doubleValue ?? 0) > 0 ? 1 : 0 })

    public static let exportHF = StepKindSpec(
        name: "export_hf",
        summary: "write a Hugging Face folder (config.json, safetensors, tokenizer, model card)",
        settings: [
            SettingSpec("after", .stepRef, required: true, "step whose model is exported"),
            SettingSpec("to", .path, required: true, cosmetic: true, "output folder (a copy of the cached artifact)"),
            SettingSpec("retie_embeddings", .bool, default: .bool(false), "tie lm_head to the embeddings again if they are still equal"),
            SettingSpec("dtype", .choice(["bf16", "f16", "f32"]), default: .string("bf16"), "storage type of the weights"),
        ],
        modelInput: .required, producesModel: false, usesData: false, isTraining: false)

    public static let evaluate = StepKindSpec(
        name: "evaluate",
        summary: "benchmark accuracies and held-out perplexity of models",
        settings: [
            SettingSpec("models", .list(.modelRef, allowSingle: false), required: true, "steps (or `teacher`) to evaluate"),
            SettingSpec("tasks", .list(.choice(evaluationTasks), allowSingle: false), default: .array([]), "benchmarks to run"),
            SettingSpec("limit", .int(min: 1, max: 1 << 40), default: .int(0), "documents per task (0 = all)"),
            SettingSpec("heldout_perplexity", .bool, default: .bool(true), "perplexity on the `heldout` data"),
            SettingSpec("data", .dataRef, default: .string("heldout"), "entry of `data:` for the perplexity"),
            SettingSpec("seq_len", .int(min: 1, max: 1 << 20), default: .int(512), "window length of the perplexity"),
            SettingSpec("heldout_tokens", .size(min: 0), default: .int(0), "score only the first N held-out tokens (0 = all)"),
            SettingSpec("threads", .int(min: 0, max: 4096), default: .int(0), cosmetic: true, "worker threads (0 = all cores)"),
        ],
        modelInput: .none, producesModel: false, usesData: true, isTraining: false,
        needsTeacher: { ($0["models"]?.arrayValue ?? []).contains(.string("teacher")) })

    public static let all = [alignHiddenStates, distillLogits, finetune, exportHF, evaluate]
}
