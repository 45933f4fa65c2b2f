import Dispatch
import Foundation
import CBLAS

/// Work splitting across the machine's cores for kernels that OpenBLAS does not cover.
public enum Parallel {
    /// Threads used by RadOps kernels and OpenBLAS. Defaults to the number of active cores.
    nonisolated(unsafe) public private(set) static var threadCount: Int = ProcessInfo.processInfo.activeProcessorCount

    /// Sets the thread count for RadOps kernels and OpenBLAS together.
    public static func setThreadCount(_ n: Int) {
        threadCount = max(1, n)
        openblas_set_num_threads(Int32(threadCount))
    }

    /// Calls `body` on disjoint sub-ranges covering `0..<count`, in parallel when there is enough
    /// work (`count >= 2 * minPerThread`). Each call gets a contiguous range.
    @inlinable
    public static func forRanges(_ count: Int, minPerThread: Int = 1, _ body: (Range<Int>) -> Void) {
        let threads = min(threadCount, count / max(minPerThread, 1))
        if threads <= 1 {
            if count > 0 { body(0..<count) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            let lo = count * t / threads
            let hi = count * (t + 1) / threads
            if lo < hi { body(lo..<hi) }
        }
    }

    /// Calls `body(i)` for every `i` in `0..<count`, spread over the threads.
    @inlinable
    public static func forEach(_ count: Int, minPerThread: Int = 1, _ body: (Int) -> Void) {
        forRanges(count, minPerThread: minPerThread) { r in for i in r { body(i) } }
    }
}
