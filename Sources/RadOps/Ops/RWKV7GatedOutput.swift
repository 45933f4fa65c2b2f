/// RAD-RWKV7's state-balanced output (spec §2.3), `(y · s) ⊙ g` with s = N^-0.5, as one op: the pair
/// `scale` then `mul` kept both y and y·s on the tape; this keeps y and g (which the chain kept too) and
/// recomputes y·s in the backward. `y` and `gate` have the same number of elements; the result has
/// `gate`'s shape.
public func rwkv7GatedOutput(_ y: Tensor, gate: Tensor, scale s: Float) -> Tensor {
    precondition(y.count == gate.count, "rwkv7GatedOutput: y \(y.shape) and gate \(gate.shape) differ in size")
    let count = y.count
    let out = Tensor(zeros: gate.shape)
    let (yp, gp, op) = (y.data, gate.data, out.data)
    Parallel.forRanges(count, minPerThread: 1 << 14) { r in for i in r { op[i] = (yp[i] * s) * gp[i] } }
    guard let tape = Tape.active(forAny: [y, gate]) else { return out }
    tape.record(out) { g in
        let go = g.data
        let gy = y.requiresGrad ? y.ensureGrad().data : nil, gg = gate.requiresGrad ? gate.ensureGrad().data : nil
        Parallel.forRanges(count, minPerThread: 1 << 14) { r in
            for i in r {
                gy?[i] += (go[i] * gp[i]) * s
                gg?[i] += go[i] * (yp[i] * s)
            }
        }
    }
    return out
}
