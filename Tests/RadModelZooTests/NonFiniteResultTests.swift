import Foundation
import Testing
import RadModelZoo
import RadOps

/// A NaN or infinite score is an error naming the model, never a result.
@Suite struct NonFiniteResultTests {
    @Test func nonFiniteScoresAreErrorsNamingTheModel() throws {
        let fine = ScoreResult(tokens: 4, nll: 2)
        #expect(try fine.requireFinite(model: "m.gguf", input: "t.txt").nll == 2)
        expectError(containing: ["m.gguf: the model produced non-finite log-likelihoods (NaN) on t.txt; its weights may be damaged"]) {
            _ = try ScoreResult(tokens: 4, nll: .nan).requireFinite(model: "m.gguf", input: "t.txt")
        }
        expectError(containing: ["m.gguf", "+inf", "t.txt"]) {
            _ = try ScoreResult(tokens: 4, nll: .infinity).requireFinite(model: "m.gguf", input: "t.txt")
        }
        // exp overflows past an NLL of ~709 nats: the perplexity is no number either.
        expectError(containing: ["m.gguf", "+inf"]) { _ = try ScoreResult(tokens: 4, nll: 800).requireFinite(model: "m.gguf", input: "t") }
        // It is a failed run, not invalid input.
        #expect(!(NonFiniteResultError(model: "m", input: "t", value: .nan) as Error is InvalidInputError))
    }
}
