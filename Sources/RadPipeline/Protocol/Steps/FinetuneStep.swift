/// `finetune`, stage 3 (spec §1.5): long-context fine-tuning on next-token cross-entropy, optionally plus
/// KL to the teacher; `trainable: decay_tokenshift` is stage 3a.
struct FinetuneStep: TrainingKind {
    static let name = "finetune"
    static let summary = "stage 3: long-context fine-tuning on next-token cross-entropy (optionally plus KL)"
    static let budget = TrainingBudget(tokens: 100_000_000, seqLen: 16384, batch: 96,
                                       lr: EngineStepKinds.schedule("constant", 1e-5, 1e-5))

    enum Trainable: String, CaseIterable { case all, decayTokenshift = "decay_tokenshift" }

    static let objectiveSettings = [
        SettingSpec("kl_weight", .number(min: 0, max: nil), default: .double(0), "weight of KL to the teacher (> 0 needs a teacher)"),
        SettingSpec("ce_weight", .number(min: 0, max: nil), default: .double(1), "weight of next-token cross-entropy"),
        SettingSpec("trainable", .choice(Trainable.allCases.map(\.rawValue)), default: .string(Trainable.all.rawValue),
                    "which parameters train: all, or only decay and tokenshift (stage 3a)"),
    ]

    static func objective(_ r: StepRecord, into s: inout TrainingStepSettings) throws {
        s.training.objective = .logits(klWeight: try r.double("kl_weight"), ceWeight: try r.double("ce_weight"))
        s.training.onlyDecayAndTokenshift = try r.choice("trainable", as: Trainable.self) == .decayTokenshift
    }
}
