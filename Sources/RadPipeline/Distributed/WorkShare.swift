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
