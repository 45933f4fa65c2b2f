import Foundation

/// Freed buffers too large for glibc's heap, kept for the next tensor of the same size.
///
/// glibc serves blocks above its mmap threshold (at most 32 MiB) with a fresh `mmap` and unmaps them on
/// `free`, so each such tensor pays one page fault per 4 KiB on first touch (measured: allocating ops
/// on 50 MB tensors at 14-21 % of memcpy). Training allocates the same large shapes every step (the
/// logits and their gradients), so reusing the mapping avoids the faults. The pool holds at most
/// `limit` bytes and frees what does not fit.
final class LargeBlockPool: @unchecked Sendable {
    static let shared = LargeBlockPool(limit: 2 << 30)
    /// Blocks below this size come from glibc's heap, which already reuses them.
    static let threshold = 32 << 20

    let limit: Int
    private let lock = NSLock()
    private var blocks: [Int: [UnsafeMutableRawPointer]] = [:]
    private var heldBytes = 0

    init(limit: Int) { self.limit = limit }

    /// A kept block of exactly `bytes`, or nil.
    func take(bytes: Int) -> UnsafeMutableRawPointer? {
        lock.lock(); defer { lock.unlock() }
        guard let block = blocks[bytes]?.popLast() else { return nil }
        heldBytes -= bytes
        return block
    }

    /// Keeps `block` for reuse if it fits under the limit; otherwise returns false and the caller frees it.
    func keep(_ block: UnsafeMutableRawPointer, bytes: Int) -> Bool {
        lock.lock(); defer { lock.unlock() }
        guard heldBytes + bytes <= limit else { return false }
        blocks[bytes, default: []].append(block)
        heldBytes += bytes
        return true
    }
}
