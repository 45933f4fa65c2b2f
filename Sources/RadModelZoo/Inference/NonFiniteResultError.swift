import Foundation

/// A model whose log-likelihoods came out NaN or infinite. That is no score: it is a failed run
/// (exit 1, not invalid input: the file read cleanly, its numbers did not work out), named after the
/// model so that nobody takes `nll nan` for a result.
public struct NonFiniteResultError: Error, CustomStringConvertible, Sendable {
    /// The model as the user knows it: a path, or a pipeline step's model name.
    public var model: String
    /// What it was scoring: a text file, a benchmark task.
    public var input: String
    /// The offending value (NaN, +inf or -inf).
    public var value: Double
    /// What came out non-finite: "log-likelihoods" (scoring) or "logits" (generation).
    public var quantity: String

    public init(model: String, input: String, value: Double, quantity: String = "log-likelihoods") {
        self.model = model; self.input = input; self.value = value; self.quantity = quantity
    }

    public var description: String {
        let what = value.isNaN ? "NaN" : value > 0 ? "+inf" : "-inf"
        return "\(model): the model produced non-finite \(quantity) (\(what)) on \(input); its weights may be damaged"
    }

    /// Throws for the first of `values` that is not finite.
    public static func check(_ values: [Double], model: String, input: String) throws {
        if let bad = values.first(where: { !$0.isFinite }) { throw NonFiniteResultError(model: model, input: input, value: bad) }
    }
}

extension ScoreResult {
    /// This result, after checking its NLL and perplexity are numbers (a perplexity overflows to
    /// +inf past an NLL of about 709 nats per token, which no working model comes near).
    public func requireFinite(model: String, input: String) throws -> ScoreResult {
        try NonFiniteResultError.check([nll, ppl], model: model, input: input)
        return self
    }
}
