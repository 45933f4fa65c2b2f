/// `align_hidden_states`, stage 1 (spec §1.2): each replacement mixer learns to reproduce its teacher
/// attention's output, the teacher driving the residual stream.
struct AlignHiddenStatesStep: TrainingKind {
    static let name = "align_hidden_states"
    static let summary = "stage 1: train each replacement mixer to reproduce its teacher attention's output"
    static let budget = TrainingBudget(tokens: 100_000_000, seqLen: 512, batch: 32,
                                       lr: EngineStepKinds.schedule("quarter_cosine", 1e-3, 1e-5))
    static let trainsOnlyMixers = true

    /// The alignment losses the schema names; `StageTrainer` implements `l2_rms`.
    enum Loss: String, CaseIterable { case l2RMS = "l2_rms", mse }

    static let objectiveSettings = [
        SettingSpec("loss", .choice(Loss.allCases.map(\.rawValue)), default: .string(Loss.l2RMS.rawValue),
                    "per-token L2 norm / sqrt(C) (the code's loss) or mean squared error"),
        SettingSpec("selection_tokens", .size(min: 1),
                    "with the student's softmax_layers: { auto: K }: tokens this stage did not train on on which each layer's "
                    + "conversion cost (KL) is measured after it (default \(LayerSelection.defaultTokens))"),
    ]

    static func objective(_ r: StepRecord, into s: inout TrainingStepSettings) throws {
        s.training.objective = .alignHiddenStates
        s.selectionTokens = Int(try r.optional("selection_tokens", StepRecord.int) ?? Int64(LayerSelection.defaultTokens))
        // Before, `mse` was accepted and trained with l2_rms all the same.
        if try r.choice("loss", as: Loss.self) == .mse {
            s.problems.append(SettingProblem(setting: "loss", "'mse' is not implemented yet (stage 1 trains on l2_rms); use l2_rms"))
        }
    }
}
