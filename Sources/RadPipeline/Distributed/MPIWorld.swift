import CMPI
import Foundation

/// The processes of one `mpirun` job: this one's rank, how many there are, and the few collective
/// operations a data-parallel run needs. MPI starts only when a launcher set the job up (its environment
/// variables are there): a plain `rad` never touches MPI, so it behaves and fails exactly as before.
public final class MPIWorld {
    public let rank: Int
    public let size: Int
    public var isLeader: Bool { rank == 0 }

    /// The job's world once `start()` found one with more than one process; nil in a plain run.
    public private(set) static var current: MPIWorld?
    private static var started = false

    /// Variables the launchers set in every process they start: Open MPI's, then PMI's (MPICH, Slurm).
    static let launcherVariables = ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"]

    /// Whether this process was started by an MPI launcher.
    public static var launched: Bool {
        let env = ProcessInfo.processInfo.environment
        return launcherVariables.contains { env[$0] != nil }
    }

    /// Starts MPI (once) when a launcher started this process; `current` is then the world if it has more
    /// than one process. A one-process job runs like a plain run.
    @discardableResult
    public static func start() throws -> MPIWorld? {
        if started { return current }
        started = true
        guard launched else { return nil }
        var provided: Int32 = 0
        // One thread calls MPI at a time: the main thread, or the thread that sums gradients while the
        // backward pass runs (`GradientReducer.overlap`), never both at once; the compute pool never does.
        try check(MPI_Init_thread(nil, nil, Int32(MPI_THREAD_SERIALIZED), &provided), "MPI_Init_thread")
        var rank: Int32 = 0, size: Int32 = 0
        MPI_Comm_rank(rad_mpi_comm_world(), &rank)
        MPI_Comm_size(rad_mpi_comm_world(), &size)
        let world = MPIWorld(rank: Int(rank), size: Int(size), serialized: provided >= Int32(MPI_THREAD_SERIALIZED))
        if size > 1 { current = world }
        atexit { MPIWorld.finish() }
        return world
    }

    /// Whether a thread other than the main one may call MPI (one at a time): the library granted
    /// MPI_THREAD_SERIALIZED. Without it gradients are summed after the backward pass.
    public let serialized: Bool

    private init(rank: Int, size: Int, serialized: Bool) { self.rank = rank; self.size = size; self.serialized = serialized }

    /// Ends MPI once, at a normal exit of every rank.
    static func finish() {
        var finalized: Int32 = 0, initialized: Int32 = 0
        MPI_Initialized(&initialized); MPI_Finalized(&finalized)
        if initialized != 0 && finalized == 0 { MPI_Finalize() }
    }

    /// Stops every process of the job with `code` (mpirun exits non-zero): what a rank does when it fails
    /// on its own, so that no other rank waits for it forever.
    public func abort(code: Int32) -> Never {
        MPI_Abort(rad_mpi_comm_world(), code)
        exit(code)
    }

    public func barrier() throws { try Self.check(MPI_Barrier(rad_mpi_comm_world()), "MPI_Barrier") }

    /// Rank 0's bytes on every rank (the others' `bytes` are ignored; the length travels first).
    public func broadcast(_ bytes: [UInt8]) throws -> [UInt8] {
        var count = Int64(bytes.count)
        try Self.check(MPI_Bcast(&count, 1, rad_mpi_int64(), 0, rad_mpi_comm_world()), "MPI_Bcast")
        var buffer = isLeader ? bytes : [UInt8](repeating: 0, count: Int(count))
        if count > 0 {
            try Self.check(buffer.withUnsafeMutableBytes { MPI_Bcast($0.baseAddress, Int32(count), rad_mpi_byte(), 0, rad_mpi_comm_world()) },
                           "MPI_Bcast")
        }
        return buffer
    }

    /// Sums `count` floats at `values` over every rank, in place.
    public func allreduceSum(_ values: UnsafeMutablePointer<Float>, count: Int) throws {
        try Self.check(MPI_Allreduce(rad_mpi_in_place(), values, Int32(count), rad_mpi_float(), rad_mpi_sum(), rad_mpi_comm_world()),
                       "MPI_Allreduce")
    }

    /// Sums doubles over every rank, in place.
    public func allreduceSum(_ values: inout [Double]) throws {
        let n = Int32(values.count)
        try Self.check(values.withUnsafeMutableBufferPointer {
            MPI_Allreduce(rad_mpi_in_place(), $0.baseAddress, n, rad_mpi_double(), rad_mpi_sum(), rad_mpi_comm_world())
        }, "MPI_Allreduce")
    }

    /// Sums `counts.reduce(0, +)` floats at `values` over every rank and leaves rank r the r-th run of
    /// `counts[r]` of the sums, in `into` (the even split of a bucket: `ParameterShard`).
    public func reduceScatterSum(_ values: UnsafePointer<Float>, into: UnsafeMutablePointer<Float>, counts: [Int]) throws {
        precondition(counts.count == size)
        var c = counts.map { Int32($0) }
        try Self.check(MPI_Reduce_scatter(values, into, &c, rad_mpi_float(), rad_mpi_sum(), rad_mpi_comm_world()), "MPI_Reduce_scatter")
    }

    /// Every rank's run of `counts[rank]` floats, in place in `values` (rank r's run starts after those of
    /// ranks 0..<r, and is read from there): afterwards every rank holds all the runs.
    public func allgather(_ values: UnsafeMutablePointer<Float>, counts: [Int]) throws {
        precondition(counts.count == size)
        var c = counts.map { Int32($0) }, offsets = [Int32](repeating: 0, count: size)
        for i in c.indices.dropFirst() { offsets[i] = offsets[i - 1] + c[i - 1] }
        try Self.check(MPI_Allgatherv(rad_mpi_in_place(), 0, rad_mpi_float(), values, &c, &offsets, rad_mpi_float(), rad_mpi_comm_world()),
                       "MPI_Allgatherv")
    }

    /// Every rank's floats (`counts[r]` from rank r), concatenated in rank order on rank 0; empty on the others.
    public func gather(_ values: ArraySlice<Float>, counts: [Int]) throws -> [Float] {
        precondition(counts.count == size && values.count == counts[rank])
        var c = counts.map { Int32($0) }, offsets = [Int32](repeating: 0, count: size)
        for i in c.indices.dropFirst() { offsets[i] = offsets[i - 1] + c[i - 1] }
        var all = [Float](repeating: 0, count: isLeader ? counts.reduce(0, +) : 0)
        let mine = Array(values)
        try Self.check(mine.withUnsafeBufferPointer { send in
            all.withUnsafeMutableBufferPointer { recv in
                MPI_Gatherv(send.baseAddress, c[rank], rad_mpi_float(), recv.baseAddress, &c, &offsets, rad_mpi_float(), 0, rad_mpi_comm_world())
            }
        }, "MPI_Gatherv")
        return all
    }

    /// Every rank's bytes, on rank 0 (in rank order); an empty list on the others.
    public func gather(_ bytes: [UInt8]) throws -> [[UInt8]] {
        var count = Int32(bytes.count)
        var counts = [Int32](repeating: 0, count: isLeader ? size : 1)
        try Self.check(MPI_Gather(&count, 1, rad_mpi_int32(), &counts, 1, rad_mpi_int32(), 0, rad_mpi_comm_world()), "MPI_Gather")
        var offsets = [Int32](repeating: 0, count: counts.count)
        for i in counts.indices.dropFirst() { offsets[i] = offsets[i - 1] + counts[i - 1] }
        var all = [UInt8](repeating: 0, count: isLeader ? Int(counts.reduce(0, +)) : 1)
        var mine = bytes.isEmpty ? [0] : bytes
        try Self.check(MPI_Gatherv(&mine, count, rad_mpi_byte(), &all, &counts, &offsets, rad_mpi_byte(), 0, rad_mpi_comm_world()),
                       "MPI_Gatherv")
        guard isLeader else { return [] }
        return counts.indices.map { Array(all[Int(offsets[$0])..<Int(offsets[$0] + counts[$0])]) }
    }

    static func check(_ code: Int32, _ call: String) throws {
        guard code != rad_mpi_success() else { return }
        throw MPIError(description: "\(call) failed (MPI error \(code))")
    }
}

public struct MPIError: Error, CustomStringConvertible {
    public var description: String
}
