/// Whole-tensor reductions to a scalar [1], accumulated in Double (reproducible, no float drift).

/// Σ x, shape [1].
public func sum(_ x: Tensor) -> Tensor { reduceAll(x, scale: 1) }

/// Mean of all elements, shape [1].
public func mean(_ x: Tensor) -> Tensor {
    precondition(x.count > 0, "mean of an empty tensor \(x.shape)")
    return reduceAll(x, scale: 1 / Double(x.count))
}

func reduceAll(_ x: Tensor, scale: Double) -> Tensor {
    let p = x.data
    var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
    var i = 0
    while i + 4 <= x.count {
        s0 += Double(p[i]); s1 += Double(p[i + 1]); s2 += Double(p[i + 2]); s3 += Double(p[i + 3]); i += 4
    }
    while i < x.count { s0 += Double(p[i]); i += 1 }
    let out = Tensor(shape: [1], values: [Float((s0 + s1 + s2 + s3) * scale)])
    if let tape = Tape.active(for: x) {
        tape.record(out) { g in
            let v = Float(Double(g.data[0]) * scale)
            let gx = x.ensureGrad().data
            for j in 0..<x.count { gx[j] += v }
        }
    }
    return out
}
