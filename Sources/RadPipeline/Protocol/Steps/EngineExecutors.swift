/// The protocol's executors for the engine's step kinds.
public enum ProtocolSteps {
    public static func register(into registry: inout ExecutorRegistry) {
        registry.register("tokenize", TokenizeExecutor())
        registry.register("init_student", InitStudentExecutor())
        for kind in ["align_hidden_states", "distill_logits", "finetune"] { registry.register(kind, TrainingExecutor()) }
        registry.register("export_hf", ExportExecutor())
        registry.register("evaluate", EvaluateExecutor())
    }
}
