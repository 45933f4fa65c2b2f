/// Rotary position embedding on `x` [B, T, heads, N] (HF rotate-half convention, N even). Token t of
/// every batch row is at position `positionOffset + t`. Backward applies the inverse rotation.
public func rope(_ x: Tensor, positionOffset: Int = 0, theta: Float) -> Tensor {
    precondition(x.rank == 4, "rope: x must be [B, T, heads, N], got \(x.shape)")
    return rope(x, positions: (0..<x.shape[1]).map { positionOffset + $0 }, theta: theta)
}

/// Rotary position embedding with explicit positions, one per token t (shared by all batch rows).
public func rope(_ x: Tensor, positions: [Int], theta: Float) -> Tensor {
    precondition(x.rank == 4, "rope: x must be [B, T, heads, N], got \(x.shape)")
    let (b, t, heads, n) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    precondition(n % 2 == 0, "rope: head dim \(n) must be even")
    precondition(positions.count == t, "rope: \(positions.count) positions for \(t) tokens")
    let (cos, sin) = RopeKernels.tables(positions: positions, theta: theta, headDim: n)
    let out = Tensor(zeros: x.shape)
    RopeKernels.apply(x: x.data, out: out.data, cos: cos, sin: sin, batch: b, t: t, heads: heads, n: n, inverse: false)
    if let tape = Tape.active(for: x) {
        tape.record(out) { g in
            let tmp = Tensor(zeros: x.shape)
            RopeKernels.apply(x: g.data, out: tmp.data, cos: cos, sin: sin, batch: b, t: t, heads: heads, n: n, inverse: true)
            x.accumulateGrad(tmp.data)
        }
    }
    return out
}
