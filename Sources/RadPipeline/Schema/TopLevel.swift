import RadModelZoo
import RadOps

/// The top-level keys of a manifest and the fixed records under them. `data`, `student` and `steps` have
/// shapes that depend on a value inside them (source kind, architecture, step kind) and are checked by
/// `ManifestValidator` from the catalogs; the JSON Schema generator renders them from the same tables.
public enum TopLevelSchema {
    public static let namePattern = "^[A-Za-z0-9][A-Za-z0-9._-]*$"

    public static let teacher: [SettingSpec] = [
        SettingSpec("source", .path, required: true, "a .gguf file or a Hugging Face folder (config.json, *.safetensors, tokenizer.json)"),
        SettingSpec("format", .choice(["auto", "gguf", "hf"]), default: .string("auto"), "how to read the source (auto: by extension)"),
    ]
    public static let tokenizer: [SettingSpec] = [
        SettingSpec("source", .path, required: true, "a tokenizer.json file, a .gguf file or an HF folder"),
    ]
    public static let student: [SettingSpec] = [
        SettingSpec("architecture", .choice(ArchitectureCatalog.names), required: true, "the student architecture"),
        SettingSpec("checkpoint", .path, "start from this HF folder instead of transferring the teacher's weights"),
        // `options` is checked against the architecture's option table.
    ]

    /// Settings common to every data source; each source kind adds its own key (see `dataKinds`).
    public static let dataCommon: [SettingSpec] = [
        SettingSpec("eos_between_documents", .bool, default: .bool(true), "append the tokenizer's EOS after every document"),
        SettingSpec("heldout_fraction", .number(min: 0, max: 0.5), default: .double(0),
                    "split the documents: every round(1/f)-th document forms the held-out part"),
        SettingSpec("part", .choice(["all", "train", "heldout"]), default: .string("all"),
                    "which part of the split this entry reads (train and heldout need heldout_fraction > 0)"),
    ]
    public static let dataKinds: [(kind: Manifest.DataSource.Kind, fields: [SettingSpec])] = [
        (.files, [SettingSpec("files", .list(.string(pattern: nil), allowSingle: true), required: true, "text files (globs), one document each")]),
        (.jsonl, [SettingSpec("jsonl", .list(.string(pattern: nil), allowSingle: true), required: true, "JSON-lines files (globs), one document per line"),
                  SettingSpec("field", .string(pattern: nil), default: .string("text"), "the key holding each document's text")]),
        (.binidx, [SettingSpec("binidx", .string(pattern: nil), required: true, "Megatron token files: the prefix of PREFIX.bin and PREFIX.idx")]),
    ]

    /// How the ranks of an `mpirun` job share the work (ignored by a one-process run). Off by default:
    /// sharding saves only the AdamW moments (8 of a trainable weight's 16 bytes), which matters once they
    /// are a large part of a rank's memory, and costs an all-gather of the weights every step and a gather
    /// of the moments to rank 0 at every checkpoint.
    public static let distributed: [SettingSpec] = [
        SettingSpec("shard_optimizer", .bool, default: .bool(Manifest.Distributed().shardOptimizer),
                    "ZeRO stage 1: each rank keeps the AdamW moments of its 1/N of the trainable weights only (gradients "
                    + "reduce-scattered, weights all-gathered); the weights equal the unsharded run's up to fp32 summation order"),
        SettingSpec("overlap_backward", .bool, default: .bool(Manifest.Distributed().overlapBackward),
                    "sum each layer's gradients over the ranks (allreduce) while the backward pass goes on with the layers "
                    + "below, on a thread of its own, instead of after backward (the sums are the same; not with shard_optimizer); "
                    + "for ranks on separate machines: it needs a core the compute leaves idle"),
        SettingSpec("bucket_mb", .number(min: 0.001, max: 1024), default: .double(Double(Manifest.Distributed().bucketBytes) / 1048576),
                    "MiB of gradients summed by one collective call (allreduce, or reduce-scatter and all-gather when sharded)"),
    ]

    public static let keys = ["name", "seed", "extends", "vars", "teacher", "tokenizer", "data", "student", "distributed", "steps"]
}
