import Foundation

/// Sizes of a batch of per-head linear recurrences.
///
/// Sequences are laid out [batch, length, heads, headSize] row-major (token-major, heads inside), the
/// layout a linear layer [batch·length, heads·headSize] produces, so no transpose is needed around the
/// kernels. States are [batch, heads, headSize, headSize] fp32, one N×N matrix per (batch, head).
public struct RecurrenceShape: Sendable, Equatable, CustomStringConvertible {
    public let batch: Int
    public let length: Int
    public let heads: Int
    public let headSize: Int

    public init(batch: Int, length: Int, heads: Int, headSize: Int) {
        precondition(batch >= 1 && length >= 1 && heads >= 1 && headSize >= 1,
                     "recurrence shape needs positive sizes, got B=\(batch) T=\(length) H=\(heads) N=\(headSize)")
        self.batch = batch
        self.length = length
        self.heads = heads
        self.headSize = headSize
    }

    /// Elements of one sequence tensor [B, T, H, N].
    public var sequenceCount: Int { batch * length * heads * headSize }
    /// Elements of one state tensor [B, H, N, N].
    public var stateCount: Int { batch * heads * headSize * headSize }
    /// Elements of one head's state.
    public var headStateCount: Int { headSize * headSize }
    /// Distance between consecutive tokens of one head in a sequence tensor.
    public var tokenStride: Int { heads * headSize }

    /// Offset of token `t` of head `h` of batch row `b` in a sequence tensor.
    @inline(__always) public func offset(batch b: Int, token t: Int, head h: Int) -> Int {
        ((b * length + t) * heads + h) * headSize
    }

    /// Checkpoints per (batch, head) of a re-running backward (DPLR, gated delta) that stores the state
    /// before tokens 0, chunk, 2·chunk, ...
    public func checkpointCount(chunk: Int) -> Int { (length + chunk - 1) / chunk }

    /// Elements of such a checkpoint buffer [B, H, checkpointCount, N, N].
    public func checkpointElements(chunk: Int) -> Int { batch * heads * checkpointCount(chunk: chunk) * headStateCount }

    public var description: String { "B=\(batch) T=\(length) H=\(heads) N=\(headSize)" }

    /// Sets head `bh`'s running state (`states + bh·N²`) to its initial state, or to zeros without one.
    /// The initial state may be the same buffer (the state updated in place, as decoding does).
    @inline(__always) func startState(_ states: UnsafeMutablePointer<Float>, from initial: UnsafePointer<Float>?,
                                      head bh: Int) -> UnsafeMutablePointer<Float> {
        let nn = headStateCount, s = states + bh * nn
        if let initial {
            if UnsafePointer(s) != initial + bh * nn { s.update(from: initial + bh * nn, count: nn) }
        } else {
            s.update(repeating: 0, count: nn)
        }
        return s
    }
}

// Eight-lane helpers for the fused loops that also reduce (a strict scalar float sum does not
// vectorise). Loops without a reduction are left scalar: LLVM vectorises them on its own.
typealias Lanes = SIMD8<Float>

@inline(__always) func loadLanes(_ p: UnsafePointer<Float>) -> Lanes {
    UnsafeRawPointer(p).loadUnaligned(as: Lanes.self)
}

@inline(__always) func loadLanes(_ p: UnsafeMutablePointer<Float>) -> Lanes {
    UnsafeRawPointer(p).loadUnaligned(as: Lanes.self)
}

@inline(__always) func storeLanes(_ v: Lanes, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: Lanes.self)
}

/// Σ a[j]·b[j] for j < n, with eight-lane partial sums.
@inline(__always) func laneDot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc0 = Lanes(), acc1 = Lanes()
    var j = 0
    while j + 16 <= n {
        acc0.addProduct(loadLanes(a + j), loadLanes(b + j))
        acc1.addProduct(loadLanes(a + j + 8), loadLanes(b + j + 8))
        j += 16
    }
    if j + 8 <= n {
        acc0.addProduct(loadLanes(a + j), loadLanes(b + j))
        j += 8
    }
    var s = laneSum(acc0 + acc1)
    while j < n { s += a[j] * b[j]; j += 1 }
    return s
}

/// Horizontal sum of eight lanes as a tree of lane extracts (SIMD's `sum()` and `lowHalf`/`highHalf`
/// measured slower here).
@inline(__always) func laneSum(_ v: Lanes) -> Float {
    ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]))
}

/// exp(x[i]) for i < n: the decays w = exp(logw) of one token. (A Cephes-style eight-lane expf written
/// with Swift SIMD types measured 2-3x slower than libm here: rounding and conversions were lowered lane
/// by lane.)
@inline(__always) func decayExp(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, _ n: Int) {
    for j in 0..<n { y[j] = Foundation.exp(x[j]) }
}
