import RadOps
import RadModelZoo

/// `softmax_layers: { auto: K }`: which K layers a hybrid keeps as the teacher's softmax attention,
/// chosen after stage 1 by measurement (the single-layer form of KL-guided layer selection).
///
/// A layer's score is the KL(teacher ‖ teacher with only that layer's attention replaced by its aligned
/// student mixer), in nats per token, on tokens stage 1 did not train on. The K layers whose conversion
/// alone costs the most keep softmax attention; ties go to the earlier layer.
public struct LayerSelection: Equatable, Sendable {
    /// Tokens scored when the align step does not say (`selection_tokens`).
    public static let defaultTokens = 2048
    /// Where the choice is kept in the align step's artifact meta and in the run record.
    public static let metaKey = "layer_selection"

    /// Per layer; nil for a layer that already keeps softmax attention (not scored).
    public var scores: [Double?]
    public var chosen: [Int]
    public var tokens: Int
    /// Whether the scored windows lie outside those stage 1 trained on (false when it ran over every window).
    public var heldOut: Bool

    /// The K best-scored layers, ascending.
    public static func choose(_ scores: [Double?], keep k: Int) -> [Int] {
        let ranked = scores.enumerated().compactMap { i, s in s.map { (i, $0) } }
            .sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
        return ranked.prefix(k).map(\.0).sorted()
    }

    /// Every recurrent layer's score over `sequences` (each seqLen tokens), summed over the rows and
    /// divided by their count, computed `batch` sequences at a time.
    public static func scores(teacher: DecoderModel, student: DecoderModel, sequences: [[Int32]], batch: Int) -> [Double?] {
        let layers = teacher.config.numLayers
        let recurrent = (0..<layers).map { TeacherDrivenPass.isRecurrent(student, layer: $0) }
        var sums = [Double](repeating: 0, count: layers)
        var rows = 0
        var start = 0
        while start < sequences.count {
            let chunk = Array(sequences[start..<min(start + batch, sequences.count)])
            start += chunk.count
            let tokens = chunk.flatMap { $0 }
            let n = tokens.count
            for (l, kl) in scores(teacher: teacher, student: student, tokens: tokens, batch: chunk.count) {
                sums[l] += kl * Double(n)
            }
            rows += n
        }
        return (0..<layers).map { recurrent[$0] && rows > 0 ? sums[$0] / Double(rows) : nil }
    }

    /// One batch: stage 1's teacher-driven pass keeps each layer's input and each student mixer's output
    /// (so a mixer's carried values such as RAD-RWKV7's value residual come from the student mixers
    /// before it, as in training); then, per layer, the rest of the teacher runs from that layer with the
    /// student's output in place of the teacher's attention.
    static func scores(teacher: DecoderModel, student: DecoderModel, tokens: [Int32], batch: Int) -> [(Int, Double)] {
        let layers = teacher.config.numLayers, seqLen = tokens.count / batch
        var replaced: [(index: Int, input: Tensor, studentOutput: Tensor)] = []
        let final = TeacherDrivenPass.run(teacher: teacher, student: student, tokens: tokens, batch: batch) { layer in
            if let yS = layer.studentOutput { replaced.append((layer.index, layer.input, yS)) }
        }
        let reference = teacher.finalNormed(final)
        return replaced.map { l, input, yS in
            let context = ForwardContext(batch: batch, seqLen: seqLen)
            var y = teacher.layers[l].finishLayer(add(input, yS))
            for m in (l + 1)..<layers {
                context.layerIndex = m
                y = teacher.layers[m](y, context: context, state: nil)
            }
            let kl = fusedHeadLoss(hidden: teacher.finalNormed(y), head: teacher.lmHead, teacherHidden: reference,
                                   teacherHead: teacher.lmHead, weights: .init(kl: 1, ce: 0))
            return (l, Double(kl.item))
        }
    }

    /// The planner's cost of scoring `tokens` on a teacher of this shape: one teacher pass (without the
    /// mixers' small extra), then for layer l the layers from l on (on average (L + 1) / 2 of them) and
    /// the head, for every one of the L layers.
    public static func flops(teacher t: ModelShape, tokens: Int64) -> Double {
        let head = Double(t.vocabulary) * Double(t.hidden), body = Double(t.parameters) - head
        let l = Double(max(t.layers, 1))
        return 2 * Double(tokens) * (body * (1 + (l + 1) / 2) + head * (l + 1))
    }

    /// The artifact meta and run-record form: `{chosen, scores, tokens, held_out}`.
    public var canonical: CanonicalValue {
        .object(["chosen": .array(chosen.map { .int(Int64($0)) }),
                 "scores": .array(scores.map { $0.map { .double($0) } ?? .null }),
                 "tokens": .int(Int64(tokens)), "held_out": .bool(heldOut)])
    }

    public init(scores: [Double?], chosen: [Int], tokens: Int, heldOut: Bool) {
        self.scores = scores; self.chosen = chosen; self.tokens = tokens; self.heldOut = heldOut
    }

    public init?(_ value: CanonicalValue?) {
        guard let o = value?.objectValue, let chosen = o["chosen"]?.arrayValue, let scores = o["scores"]?.arrayValue else { return nil }
        self.init(scores: scores.map(\.doubleValue), chosen: chosen.compactMap { $0.intValue.map(Int.init) },
                  tokens: Int(o["tokens"]?.intValue ?? 0), heldOut: o["held_out"]?.boolValue ?? false)
    }
}

extension LayerSelection {
    /// One line for the progress output: the kept layers and their scores against the median layer's.
    public var summary: String {
        let scored = scores.compactMap { $0 }.sorted()
        let median = scored.isEmpty ? 0 : scored[scored.count / 2]
        let kept = chosen.map { "\($0) (KL \(String(format: "%.4f", scores[$0] ?? 0)))" }.joined(separator: ", ")
        return "kept softmax attention in layer\(chosen.count == 1 ? "" : "s") \(kept); the median layer costs KL "
            + String(format: "%.4f", median) + " nats/token alone" + (heldOut ? "" : " (scored on windows stage 1 also trained on: it ran over all of them)")
    }
}

extension StageTrainer {
    /// `count` windows of this stage's text that it did not train on: the sampler's next ones after the
    /// stage's last sample (its order has no repeats within `windowCount` samples). Inputs only.
    func unseenSequences(_ count: Int) -> (sequences: [[Int32]], heldOut: Bool) {
        let trained = settings.totalSteps * settings.batch
        let sequences = (0..<count).map { Array(window(sample: trained + $0).dropLast()) }
        return (sequences, trained + count <= sampler.windowCount)
    }

    /// Scores the student's aligned mixers on about `tokens` unseen tokens, and gives the `k` costliest
    /// layers back the teacher's softmax attention.
    public func selectSoftmaxLayers(keep k: Int, tokens: Int, teacher: DecoderModel) throws -> LayerSelection {
        let (sequences, heldOut) = unseenSequences(max(1, (tokens + settings.seqLen - 1) / settings.seqLen))
        let scores = LayerSelection.scores(teacher: teacher, student: student, sequences: sequences, batch: settings.microBatch)
        let selection = LayerSelection(scores: scores, chosen: LayerSelection.choose(scores, keep: k),
                                       tokens: sequences.count * settings.seqLen, heldOut: heldOut)
        try StudentBuilder.keepSoftmaxAttention(layers: selection.chosen, in: student, teacher: teacher)
        return selection
    }
}
