import Foundation

// Shape plumbing that the recurrent students need: token shift, GQA head repetition, per-head L2
// normalisation, clamping and swapping the two leading axes. Each records its backward.

/// x_{t-1} for every token of x [B, T, C]; position 0 takes `previous` [B, C] (the shift state of an
/// earlier chunk) or zeros.
public func shiftTokens(_ x: Tensor, previous: Tensor? = nil) -> Tensor {
    precondition(x.rank == 3, "shiftTokens expects [B, T, C], got \(x.shape)")
    let b = x.shape[0], t = x.shape[1], c = x.shape[2]
    if let previous { precondition(previous.count == b * c, "shift state \(previous.shape) for \(x.shape)") }
    let out = Tensor(zeros: x.shape)
    for bi in 0..<b {
        let src = x.data + bi * t * c, dst = out.data + bi * t * c
        if let previous { dst.update(from: previous.data + bi * c, count: c) }
        if t > 1 { (dst + c).update(from: src, count: (t - 1) * c) }
    }
    if let tape = Tape.active(for: x) {
        tape.record(out) { g in
            let gx = x.ensureGrad().data
            for bi in 0..<b {
                let gs = g.data + bi * t * c, gd = gx + bi * t * c
                for i in 0..<((t - 1) * c) { gd[i] += gs[c + i] }
            }
        }
    }
    return out
}

/// Repeats each of the KVH heads of x [B, T, KVH, N] `groups` times consecutively → [B, T, KVH·groups, N]
/// (query head h reads kv head h / groups, as HF `repeat_kv`).
public func repeatHeads(_ x: Tensor, groups: Int) -> Tensor {
    precondition(x.rank == 4, "repeatHeads expects [B, T, KVH, N], got \(x.shape)")
    if groups == 1 { return x }
    let rows = x.shape[0] * x.shape[1], kvh = x.shape[2], n = x.shape[3]
    let out = Tensor(zeros: [x.shape[0], x.shape[1], kvh * groups, n])
    // Rows are independent in both directions: split them over the threads (a pure copy is memory-bound,
    // and one core does not saturate the memory bus).
    let xp = x.data, op = out.data
    Parallel.forRanges(rows, minPerThread: 256) { range in
        for r in range {
            for h in 0..<kvh {
                let src = xp + (r * kvh + h) * n
                for gi in 0..<groups { (op + ((r * kvh + h) * groups + gi) * n).update(from: src, count: n) }
            }
        }
    }
    if let tape = Tape.active(for: x) {
        tape.record(out) { g in
            let gx = x.ensureGrad().data, gp = g.data
            Parallel.forRanges(rows, minPerThread: 256) { range in
                for r in range {
                    for h in 0..<kvh {
                        let dst = gx + (r * kvh + h) * n
                        for gi in 0..<groups {
                            let src = gp + ((r * kvh + h) * groups + gi) * n
                            for j in 0..<n { dst[j] += src[j] }
                        }
                    }
                }
            }
        }
    }
    return out
}

/// x / max(‖x‖₂, eps) over each group of `headDim` consecutive values (per head), as
/// `torch.nn.functional.normalize(x, dim=-1, eps)`.
public func normalizePerHead(_ x: Tensor, headDim n: Int, eps: Float = 1e-12) -> Tensor {
    precondition(x.count % n == 0, "normalizePerHead: \(x.shape) is not a multiple of head size \(n)")
    let groups = x.count / n
    let out = Tensor(zeros: x.shape)
    let norms = UnsafeMutablePointer<Float>.allocate(capacity: groups)
    for gi in 0..<groups {
        let p = x.data + gi * n
        var s: Double = 0
        for j in 0..<n { s += Double(p[j]) * Double(p[j]) }
        let norm = max(Float(s.squareRoot()), eps)
        norms[gi] = norm
        let inv = 1 / norm
        for j in 0..<n { out.data[gi * n + j] = p[j] * inv }
    }
    if let tape = Tape.active(for: x) {
        tape.record(out) { g in
            let gx = x.ensureGrad().data
            for gi in 0..<groups {
                let y = out.data + gi * n, gy = g.data + gi * n
                let norm = norms[gi]
                if norm <= eps {   // the eps branch is linear: y = x / eps
                    for j in 0..<n { gx[gi * n + j] += gy[j] / eps }
                    continue
                }
                var dot: Float = 0
                for j in 0..<n { dot += gy[j] * y[j] }
                for j in 0..<n { gx[gi * n + j] += (gy[j] - y[j] * dot) / norm }
            }
            norms.deallocate()
        }
    } else {
        norms.deallocate()
    }
    return out
}

/// max(x, lower) elementwise; the gradient flows where x > lower.
public func clampMin(_ x: Tensor, _ lower: Float) -> Tensor {
    let out = Tensor(zeros: x.shape)
    for i in 0..<x.count { out.data[i] = max(x.data[i], lower) }
    if let tape = Tape.active(for: x) {
        tape.record(out) { g in
            let gx = x.ensureGrad().data
            for i in 0..<x.count where x.data[i] > lower { gx[i] += g.data[i] }
        }
    }
    return out
}

/// Swaps the first two axes: [A, B, rest...] → [B, A, rest...].
public func swapLeadingAxes(_ x: Tensor) -> Tensor {
    precondition(x.rank >= 2, "swapLeadingAxes needs rank >= 2, got \(x.shape)")
    let a = x.shape[0], b = x.shape[1], inner = x.shape.dropFirst(2).reduce(1, *)
    let out = Tensor(zeros: [b, a] + x.shape.dropFirst(2))
    for i in 0..<a { for j in 0..<b {
        (out.data + (j * a + i) * inner).update(from: x.data + (i * b + j) * inner, count: inner)
    } }
    if let tape = Tape.active(for: x) {
        tape.record(out) { g in
            let gx = x.ensureGrad().data
            for i in 0..<a { for j in 0..<b {
                let src = g.data + (j * a + i) * inner, dst = gx + (i * b + j) * inner
                for e in 0..<inner { dst[e] += src[e] }
            } }
        }
    }
    return out
}
