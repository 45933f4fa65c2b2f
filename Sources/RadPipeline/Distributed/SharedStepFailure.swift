import RadOps

/// A failure inside a step the ranks share (tokenisation, training, evaluation) that every rank of the job
/// agreed on (`WorkShare.agree`): the rank that failed first, by number, and its message, known on every
/// rank. So every rank leaves the step at the same point, rank 0 reports the error once and ends the job
/// with its exit code (2 for bad input), instead of one rank aborting the others through `MPI_Abort`.
public struct SharedStepFailure: Error, CustomStringConvertible {
    /// The lowest rank that failed.
    public let rank: Int
    /// Its error, in one line.
    public let message: String
    /// Whether it was bad input (exit 2) rather than a failure while running (exit 1).
    public let isInput: Bool
    /// How many ranks the job has: a one-rank message needs no rank.
    public let ranks: Int

    public var description: String { ranks > 1 && rank > 0 ? "rank \(rank): \(message)" : message }
}

/// `SharedStepFailure` of bad input: what the command line maps to exit code 2.
public struct SharedStepInputFailure: InvalidInputError {
    public let failure: SharedStepFailure
    public var description: String { failure.description }
}

extension SharedStepFailure {
    /// The error to throw: bad input stays bad input.
    var thrown: Error { isInput ? SharedStepInputFailure(failure: self) : self }

    /// Whether `error` is bad input (exit code 2): an invalid manifest or override, or any `InvalidInputError`.
    public static func isInput(_ error: Error) -> Bool {
        error is InvalidInputError || error is ManifestLoader.Failure || error is RunInputError
    }

    /// Whether `error` is a failure every rank agreed on.
    public static func isAgreed(_ error: Error) -> Bool { error is SharedStepFailure || error is SharedStepInputFailure }
}
