import Foundation
#if os(Linux)
import CMalloc
#endif

/// A 64-byte-aligned, zero-initialised buffer of `Float`s. Tensors are views into one of these.
///
/// Alignment lets the compiler and OpenBLAS use full-width vector loads; zero-initialisation makes
/// gradient buffers ready to accumulate into. `zeroed: false` skips it for outputs that a kernel
/// overwrites whole (a GEMM with beta 0), where the memset was a wasted pass over memory.
public final class TensorStorage: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int

    public init(count: Int, zeroed: Bool = true) {
        precondition(count >= 0, "negative storage size")
        _ = Self.keepFreedMemory
        self.count = count
        let bytes = Self.byteSize(count)
        let pooled = bytes >= LargeBlockPool.threshold ? LargeBlockPool.shared.take(bytes: bytes) : nil
        guard let raw = pooled ?? aligned_alloc(64, bytes) else {
            fatalError("rad: out of memory allocating \(bytes) bytes")
        }
        if zeroed { memset(raw, 0, bytes) }
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    deinit {
        let bytes = Self.byteSize(count)
        if bytes >= LargeBlockPool.threshold && LargeBlockPool.shared.keep(UnsafeMutableRawPointer(pointer), bytes: bytes) { return }
        free(pointer)
    }

    static func byteSize(_ count: Int) -> Int { max(64, (count * MemoryLayout<Float>.stride + 63) / 64 * 64) }

    /// glibc returns every block above 128 KiB to the kernel on free and maps a fresh one on the next
    /// allocation, so each op output paid page faults (measured: elementwise ops at 13-26% of memcpy).
    /// Keeping freed memory in the heap lets the next tensor of the same size reuse warm pages.
    static let keepFreedMemory: Void = {
        #if os(Linux)
        _ = mallopt(M_MMAP_THRESHOLD, 32 << 20)        // glibc's maximum: blocks up to 32 MiB come from the heap
        _ = mallopt(M_TRIM_THRESHOLD, Int32.max)       // never give the heap top back
        #endif
    }()
}
