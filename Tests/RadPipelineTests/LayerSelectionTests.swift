import Foundation
import RadModelZoo
import RadOps
import Testing
import RadPipeline

/// `softmax_layers: { auto: K }`: each layer scored by the KL of the teacher with only that layer's
/// attention replaced by its aligned mixer, the K costliest kept as softmax attention.
@Suite struct LayerSelectionTests {
    /// The slow, obvious reference: a whole model that is the teacher but for layer `l`'s mixer.
    static func swappedKL(teacher: DecoderModel, student: DecoderModel, layer l: Int, tokens: [Int32], batch: Int) -> Double {
        var layers = teacher.layers
        let t = teacher.layers[l]
        layers[l] = DecoderLayer(inputNorm: t.inputNorm, postNorm: t.postNorm, mixer: student.layers[l].mixer, mlp: t.mlp, eps: t.eps)
        let swapped = DecoderModel(config: teacher.config, embedTokens: teacher.embedTokens, layers: layers, norm: teacher.norm,
                                   lmHead: teacher.lmHead)
        return Double(klDivergence(teacherLogits: teacher.logits(tokens, batch: batch),
                                   studentLogits: swapped.logits(tokens, batch: batch)).item)
    }

    static func aligned() throws -> (teacher: DecoderModel, student: DecoderModel, trainer: StageTrainer) {
        let (teacher, student, stream) = try ProtocolTrainingTests.setup("rad-rwkv6")
        let trainer = try StageTrainer(student: student, teacher: teacher,
                                       settings: ProtocolTrainingTests.settings(.alignHiddenStates, steps: 3, lr: 3e-3), stream: stream)
        _ = try trainer.run()
        return (teacher, student, trainer)
    }

    @Test func scoresEqualTheTeacherWithOneLayerSwapped() throws {
        let (teacher, student, _) = try Self.aligned()
        var sequences: [[Int32]] = []
        for s in 0..<3 { sequences.append((0..<16).map { (i: Int) -> Int32 in Int32((s * 31 + i * 7) % 89) }) }
        let all: [Int32] = Array(sequences.joined())
        // Two sequences per pass: the score is the mean over all rows, whatever the batching.
        let scores = LayerSelection.scores(teacher: teacher, student: student, sequences: sequences, batch: 2)
        #expect(scores.count == teacher.config.numLayers && scores.allSatisfy { $0 != nil })
        for l in 0..<teacher.config.numLayers {
            let reference = Self.swappedKL(teacher: teacher, student: student, layer: l, tokens: all, batch: 3)
            #expect(abs(scores[l]! - reference) <= 1e-4 * max(reference, 1e-3), "layer \(l): \(scores[l]!) vs \(reference)")
            #expect(reference > 0)
        }
    }

    @Test func theCostliestLayersAreKeptTiesToTheEarlier() {
        #expect(LayerSelection.choose([0.1, 0.5, nil, 0.3, 0.5], keep: 2) == [1, 4])
        #expect(LayerSelection.choose([0.2, 0.2, 0.2], keep: 1) == [0])
        #expect(LayerSelection.choose([0.2, nil], keep: 3) == [0])
    }

    /// After the choice the kept layers are the teacher's attention (fresh copies, not the mixers'
    /// q/k/v/o stage 1 moved), the rest are the aligned mixers, and the record states the list.
    @Test func theChosenLayersBecomeTheTeachersAttention() throws {
        let (teacher, student, trainer) = try Self.aligned()
        let before = student.layers.map { $0.mixer.parameters.flatMap { $0.toArray() } }
        let selection = try trainer.selectSoftmaxLayers(keep: 1, tokens: 32, teacher: teacher)
        #expect(selection.chosen.count == 1 && selection.tokens == 32 && selection.heldOut)
        let kept = selection.chosen[0], layers = student.config.numLayers
        #expect(student.student?.softmaxLayers == SoftmaxLayers.choice([kept], of: layers))
        for l in 0..<layers {
            let mine = student.layers[l].mixer.parameters
            if l == kept {
                #expect(student.layers[l].mixer is SoftmaxAttention)
                #expect(mine.flatMap { $0.toArray() } == teacher.layers[l].mixer.parameters.flatMap { $0.toArray() })
                #expect(zip(mine, teacher.layers[l].mixer.parameters).allSatisfy { $0 !== $1 }, "the student must own its copies")
            } else {
                #expect(mine.flatMap { $0.toArray() } == before[l])
            }
        }
        // rad's record and the HF config both carry the choice; the model rebuilds exactly from either.
        let record = try ModelRecord.decode(try ModelRecord(student).encoded(), origin: "test")
        #expect(record.student?.softmaxLayers == student.student?.softmaxLayers)
        var tensors: [String: Tensor] = [:]
        for t in HFExporter.storedTensors(student) { tensors[t.name!] = t }
        let ids: [Int32] = (0..<12).map { Int32(($0 * 13 + 5) % student.config.vocabSize) }
        let fromRecord = try record.model(weights: InMemoryWeights(tensors, origin: "test"), origin: "test")
        #expect(fromRecord.logits(ids, batch: 2).toArray() == student.logits(ids, batch: 2).toArray())
        let config = try JSONSerialization.jsonObject(with: HFExporter.configJSON(student, tied: false, bf16: false)) as! [String: Any]
        let fromHF = try ModelLoader.load(hfConfig: config, configPath: "config.json", weights: InMemoryWeights(tensors, origin: "test"))
        #expect(fromHF.student?.softmaxLayers == student.student?.softmaxLayers)
        #expect(fromHF.logits(ids, batch: 2).toArray() == student.logits(ids, batch: 2).toArray())
    }

    @Test func recordsReadTheOldIntegerAndTheList() throws {
        let decode = { (s: String) in try JSONDecoder().decode([SoftmaxLayers].self, from: Data(s.utf8)) }
        #expect(try decode("[2, [0, 5]]") == [.last(2), .chosen([0, 5])])
        #expect(String(decoding: try JSONEncoder().encode([SoftmaxLayers.last(2), .chosen([0, 5])]), as: UTF8.self) == "[2,[0,5]]")
        #expect(SoftmaxLayers.choice([4, 5], of: 6) == .last(2) && SoftmaxLayers.choice([5, 0, 5], of: 6) == .chosen([0, 5]))
        #expect(SoftmaxLayers.chosen([0, 7]).problem(layers: 6) != nil && SoftmaxLayers.last(7).problem(layers: 6) != nil)
    }
}
