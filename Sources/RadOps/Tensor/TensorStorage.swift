import Foundation

/// A 64-byte-aligned, zero-initialised buffer of `Float`s. Tensors are views into one of these.
///
/// Alignment lets the compiler and OpenBLAS use full-width vector loads; zero-initialisation makes
/// gradient buffers ready to accumulate into.
public final class TensorStorage: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int

    public init(count: Int) {
        precondition(count >= 0, "negative storage size")
        self.count = count
        let bytes = max(64, (count * MemoryLayout<Float>.stride + 63) / 64 * 64)
        guard let raw = aligned_alloc(64, bytes) else {
            fatalError("rad: out of memory allocating \(bytes) bytes")
        }
        memset(raw, 0, bytes)
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    deinit { free(pointer) }
}
