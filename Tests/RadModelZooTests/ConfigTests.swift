import Foundation
import Testing
import RadModelZoo

@Suite struct TransformerConfigTests {
    let qwen05 = """
    {"architectures":["Qwen2ForCausalLM"],"model_type":"qwen2","hidden_size":896,"intermediate_size":4864,
     "num_attention_heads":14,"num_hidden_layers":24,"num_key_value_heads":2,"vocab_size":151936,
     "rope_theta":1000000.0,"rms_norm_eps":1e-06,"tie_word_embeddings":true,"max_position_embeddings":32768,
     "bos_token_id":151643,"eos_token_id":151645,"hidden_act":"silu","use_sliding_window":false,"rope_scaling":null}
    """

    @Test func readsAQwen2ConfigWithItsDefaults() throws {
        let c = try TransformerConfig.fromHFConfig(Data(qwen05.utf8), origin: "config.json")
        #expect(c.family == .qwen2 && c.hiddenSize == 896 && c.numLayers == 24 && c.intermediateSize == 4864)
        #expect(c.numHeads == 14 && c.numKVHeads == 2 && c.headDim == 64 && c.vocabSize == 151936)
        #expect(c.ropeTheta == 1e6 && c.rmsNormEps == 1e-6 && c.tieWordEmbeddings && c.attentionBias)
        #expect(c.bosTokenId == 151643 && c.eosTokenIds == [151645] && c.maxPositionEmbeddings == 32768)
        let round = try JSONDecoder().decode(TransformerConfig.self, from: JSONEncoder().encode(c))
        #expect(round == c)
    }

    @Test func readsTheTransformers5RopeParametersFormAndLlamaDefaults() throws {
        let json = """
        {"model_type":"llama","hidden_size":576,"intermediate_size":1536,"num_attention_heads":9,
         "num_hidden_layers":30,"num_key_value_heads":3,"vocab_size":49152,"head_dim":64,
         "rope_parameters":{"rope_theta":100000.0,"rope_type":"default"},"rms_norm_eps":1e-05,
         "tie_word_embeddings":true,"eos_token_id":[2, 0]}
        """
        let c = try TransformerConfig.fromHFConfig(Data(json.utf8), origin: "config.json")
        #expect(c.family == .llama && c.ropeTheta == 100000 && !c.attentionBias && c.eosTokenIds == [2, 0])
    }

    @Test func unsupportedOptionsAreRejectedNamingTheKey() {
        func check(_ patch: (inout [String: Any]) -> Void, _ parts: [String]) {
            var d = try! JSONSerialization.jsonObject(with: Data(qwen05.utf8)) as! [String: Any]
            patch(&d)
            expectError(containing: ["cfg.json"] + parts) { _ = try TransformerConfig.fromHFConfig(d, origin: "cfg.json") }
        }
        check({ $0["model_type"] = "mistral" }, ["'model_type'", "mistral"])
        check({ $0["rope_scaling"] = ["rope_type": "yarn", "factor": 4.0] }, ["'rope_scaling'", "yarn"])
        check({ $0["rope_parameters"] = ["rope_type": "llama3", "rope_theta": 5e5] }, ["rope_parameters.rope_type", "llama3"])
        check({ $0["hidden_act"] = "gelu" }, ["'hidden_act'", "gelu"])
        check({ $0["use_sliding_window"] = true }, ["'use_sliding_window'"])
        check({ $0.removeValue(forKey: "hidden_size") }, ["'hidden_size'", "missing"])
        check({ $0["num_key_value_heads"] = 4 }, ["'num_key_value_heads'"])
        check({ $0["hidden_size"] = "896" }, ["'hidden_size'", "not an integer"])
    }

    @Test func readsTheSmolLM2GGUFConfig() throws {
        guard let path = Repo.asset(Repo.smollm2, group: "teacher") else { return }
        let c = try TransformerConfig.fromGGUF(GGUFFile(path: path))
        #expect(c.family == .llama && c.hiddenSize == 576 && c.numLayers == 30 && c.intermediateSize == 1536)
        #expect(c.numHeads == 9 && c.numKVHeads == 3 && c.headDim == 64 && c.vocabSize == 49152)
        #expect(c.ropeTheta == 100000 && Float(c.rmsNormEps) == 1e-5 && c.tieWordEmbeddings && !c.attentionBias)
        #expect(c.bosTokenId == 1 && c.eosTokenIds == [2])
    }
}
