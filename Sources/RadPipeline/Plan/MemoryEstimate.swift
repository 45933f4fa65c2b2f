import RadModelZoo
import RadOps
import Foundation

/// About how many bytes a step or a forward pass holds at its peak, from the model shapes the planner
/// reads (no weights loaded). Good to a few tens of percent: enough to refuse up front what cannot fit
/// instead of dying in the allocator hours later; not a promise that what passes fits.
///
/// Calibration (BENCHMARKS.md, "Training memory"): the rad-rwkv6 student of SmolLM2-135M trained at
/// 4 × 512 tokens peaked at 10.9 GB with every activation on the tape and 4.2 GB with activation
/// checkpointing, measured while the loss still held whole [tokens × vocab] logits (three copies, 1.2 GB
/// at that size). With those logits the model below gives 11.0 and 4.0 GB; the fused head and loss
/// (`fusedHeadLoss`) now hold one block of rows instead, which the model counts.
public enum MemoryEstimate {
    static let floatBytes = 4.0
    /// Activations kept on the tape per token and layer, in units of the layer's width (its parameters
    /// divided by the hidden size, about 4·C + 3·I for attention and a SwiGLU MLP): the projections'
    /// outputs, the MLP's gate/up/activation and their norms' intermediates.
    static let tapeWidthsPerLayer = 4.0
    /// A forward pass without a tape holds about one layer's intermediates at a time.
    static let forwardWidths = 2.0
    /// Rows of logits the fused head ops hold at a time (`fusedHeadLoss`, `headTokenScores`): in training
    /// one [rows, vocab] block for the student (its gradient overwrites it) and one for the teacher, beside
    /// the [tokens, C] hidden states and their gradient; in scoring one block.
    static let headBlockRows = Double(HeadLossKernels.defaultBlockRows)
    /// Gradient (4 bytes) and AdamW's two moments (8 bytes) per trained parameter.
    static let optimizerBytesPerParameter = 12.0
    static let momentBytesPerParameter = 8.0

    /// Gradient and moment bytes per trained parameter on one rank: the moments split over the ranks
    /// under ZeRO stage 1 (`shard_optimizer`), the gradient whole on every rank.
    static func optimizerBytesPerParameter(ranks: Int, shardOptimizer: Bool) -> Double {
        optimizerBytesPerParameter - momentBytesPerParameter + momentBytesPerParameter / Double(shardOptimizer ? max(1, ranks) : 1)
    }

    /// The parameters a training step trains (stage 1: the student's mixers; otherwise all of it).
    public static func trainedParameters(_ loop: TrainingLoop, student: ModelShape) -> Double {
        loop.trainsOnlyMixers ? Double(student.mixerParameters) : weights(student) / floatBytes
    }

    /// The most tokens one forward/backward pass may hold (micro_batch, or batch, times seq_len), checked
    /// by the validator without a model: even a byte-level model (vocab 256) keeps a logits row and its
    /// gradient (2 KB) per token, so 2^24 tokens need 32 GB for those alone, and a real vocabulary 100 times
    /// that. `batch: 1048576` at seq_len 512 is 2^29.
    public static let maxTokensPerPass: Int64 = 1 << 24

    /// How to bring a training step's memory down, for messages (activation checkpointing shrinks the
    /// tape, not the tokens of a pass).
    public static func advice(microBatchSet: Bool, checkpointingHelps: Bool = true) -> String {
        (microBatchSet ? "lower micro_batch" : "lower batch, or set micro_batch (gradients accumulate over batch / micro_batch smaller passes)")
            + (checkpointingHelps ? ", or set activation_checkpointing: true" : "")
    }

    /// Weights in float32, the embedding table included (`ModelShape.parameters` leaves it out).
    static func weights(_ m: ModelShape) -> Double { Double(m.parameters + Int64(m.vocabulary) * Int64(m.hidden)) * floatBytes }

    /// A layer's parameters per hidden unit (see `tapeWidthsPerLayer`).
    static func layerWidth(_ m: ModelShape, parameters: Int64? = nil) -> Double {
        guard m.layers > 0, m.hidden > 0 else { return 0 }
        let body = parameters ?? (m.parameters - Int64(m.vocabulary) * Int64(m.hidden) - Int64(m.hidden))
        return Double(max(0, body)) / Double(m.layers) / Double(m.hidden)
    }

    /// The working memory of a forward pass over `tokens` tokens without a tape, its weights not included:
    /// what `rad score` and an evaluation add to a loaded model. Their head runs fused with the scores, one
    /// block of logits rows at a time.
    public static func forward(_ m: ModelShape, tokens: Int64) -> Double {
        (Double(tokens) * (forwardWidths * layerWidth(m) + 2 * Double(m.hidden))
            + min(Double(tokens), headBlockRows) * Double(m.vocabulary)) * floatBytes
    }

    /// A training step's peak (0 for a step that trains nothing) for one forward/backward pass of `micro_batch` (or `batch`) × `seq_len`
    /// tokens: both models' weights, the student's gradients and AdamW moments, its tape, and the head's
    /// blocks of logits. On one of `ranks` data-parallel ranks a pass holds at most the rank's slice of the
    /// batch, and `shardOptimizer` leaves the rank 1/N of the moments.
    public static func training(_ step: Manifest.Step, student: ModelShape, teacher: ModelShape?,
                                ranks: Int = 1, shardOptimizer: Bool = false) -> Double {
        guard let loop = step.decoded.training else { return 0 }
        let rankBatch = Int64(BatchShare(batch: Int(loop.batch), rank: 0, ranks: max(1, ranks)).samples.count)
        let tokens = Double(min(loop.microBatch, rankBatch) * loop.seqLen)
        let optimizerBytes = optimizerBytesPerParameter(ranks: ranks, shardOptimizer: shardOptimizer) * trainedParameters(loop, student: student)
        let checkpointing = loop.activationCheckpointing
        let usesTeacher = loop.usesTeacher
        var bytes = weights(student)
        if usesTeacher, let teacher { bytes += weights(teacher) + tokens * forwardWidths * layerWidth(teacher) * floatBytes }
        let layers = Double(student.layers), hidden = Double(student.hidden), vocab = Double(student.vocabulary)
        if loop.trainsOnlyMixers {
            // Stage 1: only the mixers train, on the teacher's hidden states (each layer's input and target);
            // no logits.
            let mixerWidth = layerWidth(student, parameters: student.mixerParameters)
            bytes += optimizerBytes
            bytes += tokens * layers * (tapeWidthsPerLayer * mixerWidth + 2 * hidden) * floatBytes
        } else {
            bytes += optimizerBytes
            let tape = tapeWidthsPerLayer * layerWidth(student)
            // With checkpointing: each layer's input, and one layer's tape while it is recomputed.
            bytes += tokens * (checkpointing ? layers * hidden + tape : layers * tape) * floatBytes
            bytes += min(tokens, headBlockRows) * vocab * (usesTeacher ? 2 : 1) * floatBytes
            bytes += tokens * hidden * (usesTeacher ? 3 : 2) * floatBytes
        }
        return bytes
    }

    /// A step's peak, whichever it does (training or scoring); 0 for a step that does neither.
    public static func peak(_ step: Manifest.Step, student: ModelShape, teacher: ModelShape) -> Double {
        if step.decoded.training != nil { return training(step, student: student, teacher: teacher) }
        if let windows = step.decoded.scoring { return evaluation(step, models: windows.models.map { $0 == "teacher" ? teacher : student }) }
        return 0
    }

    /// An evaluation's peak (0 for a step that scores nothing): the largest of its models, loaded, scoring `seq_len`-token windows four at a
    /// time (`Scorer`'s batch).
    public static func evaluation(_ step: Manifest.Step, models: [ModelShape]) -> Double {
        guard let windows = step.decoded.scoring else { return 0 }
        let tokens = windows.seqLen * Int64(Scorer.defaultBatch)
        return models.map { weights($0) + forward($0, tokens: tokens) }.max() ?? 0
    }
}
