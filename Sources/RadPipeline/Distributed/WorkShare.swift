import Foundation
import RadOps

/// How the ranks of a job split a step's independent units of work (an evaluation's batches of
/// requests, its perplexity batches) and put the results together. Every rank lays out the same units
/// in the one-process order, computes those of its even share (`EvenSplit`) and leaves zeros for the
/// others'; the ranks' result arrays are then summed. Each unit is computed by exactly one rank, with the
/// batches one process makes, and x + 0 = x: the results equal the one-process results bit for bit.
public protocol WorkShare {
    var part: Int { get }
    var parts: Int { get }
    /// Sums `values` over the ranks, in place (every rank gets the sum).
    func combine(_ values: inout [Double]) throws
}

extension WorkShare {
    /// This rank's units of `count`.
    public func units(of count: Int) -> Range<Int> { EvenSplit.range(count: count, part: part, parts: parts) }

    /// Calls `body` with each of this rank's units of `count`, in order, and throws `Interrupted` before
    /// the next unit once a stop was asked for (Ctrl-C, SIGTERM). Under mpirun the ranks agree on it
    /// before every unit, so that they stop together although a signal reaches them at different times;
    /// a rank with one unit fewer than the others agrees once more with nothing to compute. A unit that
    /// fails on one rank is agreed on too (after it, and once more after the last unit): every rank then
    /// throws the same `SharedStepFailure` instead of the others waiting for the failed rank in a sum.
    public func forEachUnit(of count: Int, _ body: (Int) throws -> Void) throws {
        let mine = units(of: count)
        guard parts > 1 else {
            for n in mine {
                if let signal = Interruption.requested { throw Interrupted(signal: signal) }
                try body(n)
            }
            return
        }
        let rounds = (count + parts - 1) / parts
        var failure: Error? = nil
        for k in 0..<rounds {
            try agree(failure: failure)
            if k < mine.count { do { try body(mine.lowerBound + k) } catch { failure = error } }
        }
        try agree(failure: failure)
    }

    /// Runs `body`, work of this rank alone (reading its inputs: no collectives), and agrees with the other
    /// ranks on whether it failed anywhere, as a unit of `forEachUnit` does.
    public func agreeing<T>(_ body: () throws -> T) throws -> T {
        guard parts > 1 else { return try body() }
        var value: T? = nil, failure: Error? = nil
        do { value = try body() } catch { failure = error }
        try agree(failure: failure)
        return value!
    }

    /// One agreement of every rank (a collective under mpirun; the same two sums wherever it is called
    /// from): throws the lowest failed rank's error as a `SharedStepFailure` on every rank if a rank
    /// brings a `failure`, else `Interrupted` if a rank was asked to stop (SIGTERM before SIGINT), so
    /// that every rank exits with the same code.
    public func agree(failure: Error?) throws {
        let local = Interruption.requested
        guard parts > 1 else {
            if let failure { throw failure }
            if let local { throw Interrupted(signal: local) }
            return
        }
        // [SIGINT, SIGTERM, then per rank: its message's length in bytes (0: it did not fail), bad input].
        let message = failure.map { Array(ErrorMessage.oneLine($0).utf8) } ?? []
        var flags = [Double](repeating: 0, count: 2 + 2 * parts)
        flags[0] = local == SIGINT ? 1 : 0; flags[1] = local == SIGTERM ? 1 : 0
        if let failure {
            flags[2 + 2 * part] = Double(max(1, message.count))
            flags[3 + 2 * part] = SharedStepFailure.isInput(failure) ? 1 : 0
        }
        try combine(&flags)
        if let first = (0..<parts).first(where: { flags[2 + 2 * $0] > 0 }) {
            // The failed rank's message travels as its bytes summed with the others' zeros.
            var bytes = [Double](repeating: 0, count: Int(flags[2 + 2 * first]))
            if first == part { for (i, b) in message.enumerated() { bytes[i] = Double(b) } }
            try combine(&bytes)
            let text = String(decoding: bytes.map { UInt8($0) }, as: UTF8.self)
            throw SharedStepFailure(rank: first, message: text, isInput: flags[3 + 2 * first] > 0, ranks: parts).thrown
        }
        if let stop = local ?? (flags[1] > 0 ? SIGTERM : flags[0] > 0 ? SIGINT : nil) { throw Interrupted(signal: stop) }
    }
}

/// One process does all the work.
public struct WholeWork: WorkShare {
    public init() {}
    public var part: Int { 0 }
    public var parts: Int { 1 }
    public func combine(_ values: inout [Double]) {}
}

/// The ranks of an MPI world share the work.
public struct RankWork: WorkShare {
    let world: MPIWorld
    public init(world: MPIWorld) { self.world = world }
    public var part: Int { world.rank }
    public var parts: Int { world.size }
    public func combine(_ values: inout [Double]) throws { try world.allreduceSum(&values) }
}
