import Foundation
import Testing
import RadModelZoo

/// rad's teachers against HF transformers (fixtures from scripts/fixtures/make_teacher_fixtures.py and
/// make_smollm2_fixture.py).
@Suite struct TeacherParityTests {
    static let cases = ["llama_tied_gqa", "llama_untied_headdim", "qwen2_untied_bias", "qwen2_tied_bias"]

    @Test(arguments: cases)
    func logitsMatchTransformers(_ name: String) throws {
        let dir = TestPaths.fixture("teachers/" + name)
        let loaded = try ModelLoader.load(dir, loadTokenizer: false)
        let ref = jsonObject(dir + "/reference.json")
        let ids = (ref["input_ids"] as! [[Int]]).flatMap { $0 }.map(Int32.init)
        let logits = loaded.model.logits(ids, batch: 2)
        let expected = readFloats(dir + "/reference_logits.f32")
        #expect(logits.count == expected.count)
        #expect(maxAbsDifference(logits.toArray(), expected) < 1e-4)
    }

    @Test func tiedHeadIsTheEmbedding() throws {
        let tied = try ModelLoader.load(TestPaths.fixture("teachers/llama_tied_gqa"), loadTokenizer: false).model
        let untied = try ModelLoader.load(TestPaths.fixture("teachers/qwen2_untied_bias"), loadTokenizer: false).model
        #expect(tied.isTied)
        #expect(!untied.isTied)
    }

    @Test(arguments: cases)
    func kvCacheDecodingEqualsFullForward(_ name: String) throws {
        let model = try ModelLoader.load(TestPaths.fixture("teachers/" + name), loadTokenizer: false).model
        let ids = testTokens(9, vocab: model.config.vocabSize)
        let full = model.logits(ids, batch: 1).toArray()
        let state = model.makeInferenceState(batch: 1, capacity: 16)
        var pieces = model.logits(Array(ids[0..<4]), batch: 1, states: state).toArray()
        pieces += model.logits(Array(ids[4..<5]), batch: 1, states: state).toArray()
        pieces += model.logits(Array(ids[5...]), batch: 1, states: state).toArray()
        #expect(maxAbsDifference(full, pieces) < 1e-4)
        #expect(state.position == 9)
    }

    @Test func smolLM2MatchesTransformers() throws {
        let ref = jsonObject(TestPaths.fixture("smollm2_reference.json"))
        let loaded = try ModelLoader.load(TestPaths.smolLM2)
        let model = loaded.model
        #expect(model.parameterCount == 134_515_008)
        let ids = (ref["token_ids"] as! [Int]).map(Int32.init)
        let result = Scorer(model: model, seqLen: 512).score(ids)
        let expected = ref["mean_nll"] as! Double
        #expect(abs(result.nll - expected) / expected < 1e-4, "rad \(result.nll) vs transformers \(expected)")
        // The tokenizer agrees with the reference on this passage too.
        #expect(loaded.tokenizer!.encode(ref["passage"] as! String, parseSpecial: false) == ids)
        let prompt = (ref["prompt_ids"] as! [Int]).map(Int32.init)
        let greedy = (ref["greedy_ids"] as! [Int]).map(Int32.init)
        let produced = Generator(model: model).generate(prompt: prompt, maxTokens: greedy.count)
        #expect(produced == greedy)
    }
}
