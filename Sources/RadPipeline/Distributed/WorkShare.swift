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
    /// a rank with one unit fewer than the others agrees once more with nothing to compute.
    public func forEachUnit(of count: Int, _ body: (Int) throws -> Void) throws {
        let mine = units(of: count)
        let rounds = parts == 1 ? count : (count + parts - 1) / parts
        for k in 0..<rounds {
            if let signal = try agreedStop() { throw Interrupted(signal: signal) }
            if k < mine.count { try body(mine.lowerBound + k) }
        }
    }

    /// The stop request every rank acts on: this process's, or another rank's, with its signal, so that
    /// every rank exits with the same code (a collective under mpirun).
    public func agreedStop() throws -> Int32? {
        let local = Interruption.requested
        guard parts > 1 else { return local }
        var asked = [local == SIGINT ? 1.0 : 0, local == SIGTERM ? 1.0 : 0]
        try combine(&asked)
        return local ?? (asked[1] > 0 ? SIGTERM : asked[0] > 0 ? SIGINT : nil)
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
