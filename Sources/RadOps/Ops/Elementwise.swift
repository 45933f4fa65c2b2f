/// Elementwise arithmetic with the broadcasts models need.
///
/// `b` has `a`'s shape, or a shape whose non-leading-1 part is a suffix of `a`'s shape
/// (e.g. [C] or [1, 1, C] against [B, T, C]; [1] broadcasts a single value). The result has `a`'s shape.

/// `a + b` (b broadcast as described above).
public func add(_ a: Tensor, _ b: Tensor) -> Tensor { binaryOp(.add, a, b) }

/// `a - b` (b broadcast as described above).
public func sub(_ a: Tensor, _ b: Tensor) -> Tensor { binaryOp(.sub, a, b) }

/// `a ⊙ b` (b broadcast as described above).
public func mul(_ a: Tensor, _ b: Tensor) -> Tensor { binaryOp(.mul, a, b) }

/// Number of elements of `b` repeated across `a`, after checking that `b` broadcasts against `a`.
func broadcastCount(_ a: Tensor, _ b: Tensor, _ op: String) -> Int {
    let core = Array(b.shape.drop(while: { $0 == 1 }))
    let ok = b.shape == a.shape || (core.count <= a.rank && Array(a.shape.suffix(core.count)) == core)
    precondition(ok, "\(op): cannot broadcast \(b.shape) against \(a.shape) (b must equal a's shape or a suffix of it)")
    return b.count
}

func binaryOp(_ op: ElementwiseKernels.Binary, _ a: Tensor, _ b: Tensor) -> Tensor {
    let bn = broadcastCount(a, b, "\(op)")
    let out = Tensor(zeros: a.shape)
    ElementwiseKernels.binary(op, a.data, b.data, out.data, count: a.count, bCount: bn)
    guard let tape = Tape.active(for: a, b) else { return out }
    let n = a.count, rows = bn == 0 ? 0 : n / bn
    tape.record(out) { g in
        let gp = g.data
        if a.requiresGrad {
            let ga = a.ensureGrad().data
            switch op {
            case .add, .sub: ElementwiseKernels.axpy(gp, scale: 1, into: ga, count: n)
            case .mul:
                let bp = b.data
                if bn == n { ElementwiseKernels.accumulateProduct(gp, bp, into: ga, count: n) }
                else { for r in 0..<rows { for j in 0..<bn { ga[r * bn + j] += gp[r * bn + j] * bp[j] } } }
            }
        }
        if b.requiresGrad {
            let gb = b.ensureGrad().data
            switch op {
            case .add: ElementwiseKernels.reduceRows(gp, times: nil, rows: rows, n: bn, into: gb)
            case .sub:
                let tmp = Tensor(zeros: [bn])
                ElementwiseKernels.reduceRows(gp, times: nil, rows: rows, n: bn, into: tmp.data)
                for j in 0..<bn { gb[j] -= tmp.data[j] }
            case .mul: ElementwiseKernels.reduceRows(gp, times: a.data, rows: rows, n: bn, into: gb)
            }
        }
    }
    return out
}

/// `x * s` for a constant `s`.
public func scale(_ x: Tensor, _ s: Float) -> Tensor {
    let out = Tensor(zeros: x.shape)
    ElementwiseKernels.affine(x.data, out.data, count: x.count, scale: s, shift: 0)
    if let tape = Tape.active(for: x) {
        tape.record(out) { g in ElementwiseKernels.axpy(g.data, scale: s, into: x.ensureGrad().data, count: x.count) }
    }
    return out
}

/// `x + s` for a constant `s`.
public func addScalar(_ x: Tensor, _ s: Float) -> Tensor {
    let out = Tensor(zeros: x.shape)
    ElementwiseKernels.affine(x.data, out.data, count: x.count, scale: 1, shift: s)
    if let tape = Tape.active(for: x) { tape.record(out) { g in x.accumulateGrad(g.data) } }
    return out
}
