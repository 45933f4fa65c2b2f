/// Losses and log-probabilities. Scalar losses have shape [1].

/// `x − logsumexp(x)` over the last dim; same shape as `x`.
public func logSoftmax(_ x: Tensor) -> Tensor {
    let v = x.lastDim, rows = x.rowCount
    let out = Tensor(zeros: x.shape)
    LossKernels.logSoftmax(x: x.data, out: out.data, rows: rows, v: v)
    if let tape = Tape.active(for: x) {
        tape.record(out) { g in LossKernels.logSoftmaxBackward(y: out.data, dy: g.data, dx: x.ensureGrad().data, rows: rows, v: v) }
    }
    return out
}

/// Mean negative log-likelihood of `targets` [n] under `logits` [n, V] (as `F.cross_entropy`,
/// reduction mean). Shape [1].
public func crossEntropy(logits: Tensor, targets: [Int32]) -> Tensor {
    let v = logits.lastDim, rows = logits.rowCount
    precondition(targets.count == rows && rows > 0, "crossEntropy: \(targets.count) targets for logits \(logits.shape)")
    for (i, t) in targets.enumerated() {
        precondition(t >= 0 && Int(t) < v, "crossEntropy: target \(t) at position \(i) is outside the vocabulary 0..<\(v)")
    }
    let lse = Tensor(zeros: [rows])
    let total = targets.withUnsafeBufferPointer {
        LossKernels.crossEntropy(logits: logits.data, targets: $0.baseAddress!, lse: lse.data, rows: rows, v: v)
    }
    let out = Tensor(shape: [1], values: [Float(total / Double(rows))])
    if let tape = Tape.active(for: logits) {
        tape.record(out) { g in
            targets.withUnsafeBufferPointer {
                LossKernels.crossEntropyBackward(logits: logits.data, targets: $0.baseAddress!, lse: lse.data,
                                                 scale: g.data[0] / Float(rows), dLogits: logits.ensureGrad().data,
                                                 rows: rows, v: v)
            }
        }
    }
    return out
}

/// Distillation loss KL(p_T ‖ p_S) at temperature 1 (spec §1.3): Σ_pos Σ_v p_T (log p_T − log p_S) / n
/// for logits [n, V] (or [.., V]). Positions are processed `chunkSize` at a time and no [n × V]
/// log-softmax is materialised. Gradient flows to the student only: (softmax(S) − p_T) / n.
public func klDivergence(teacherLogits: Tensor, studentLogits: Tensor, chunkSize: Int = 512) -> Tensor {
    precondition(teacherLogits.shape == studentLogits.shape,
                 "klDivergence: teacher logits \(teacherLogits.shape) and student logits \(studentLogits.shape) differ")
    let v = studentLogits.lastDim, rows = studentLogits.rowCount
    precondition(rows > 0, "klDivergence: no positions in \(studentLogits.shape)")
    let lseT = Tensor(zeros: [rows]), lseS = Tensor(zeros: [rows])
    let total = LossKernels.klDivergence(teacher: teacherLogits.data, student: studentLogits.data, lseTeacher: lseT.data,
                                         lseStudent: lseS.data, rows: rows, v: v, chunkSize: chunkSize)
    let out = Tensor(shape: [1], values: [Float(total / Double(rows))])
    if let tape = Tape.active(for: studentLogits) {
        tape.record(out) { g in
            LossKernels.klDivergenceBackward(teacher: teacherLogits.data, student: studentLogits.data, lseTeacher: lseT.data,
                                             lseStudent: lseS.data, scale: g.data[0] / Float(rows),
                                             dStudent: studentLogits.ensureGrad().data, rows: rows, v: v)
        }
    }
    return out
}

/// Stage-1 alignment loss (spec §1.2): mean over tokens of ‖yT − yS‖₂ / sqrt(C) for [.., C] inputs.
/// Gradient flows to the student only; a token with ‖Δ‖ = 0 contributes zero gradient (as PyTorch's
/// norm backward).
public func rmsL2Loss(teacher: Tensor, student: Tensor) -> Tensor {
    precondition(teacher.shape == student.shape, "rmsL2Loss: teacher \(teacher.shape) and student \(student.shape) differ")
    let c = student.lastDim, rows = student.rowCount
    precondition(rows > 0, "rmsL2Loss: no tokens in \(student.shape)")
    let norms = Tensor(zeros: [rows])
    let tp = teacher.data, sp = student.data, np = norms.data
    Parallel.forRanges(rows, minPerThread: 16) { range in
        for r in range {
            var s = 0.0
            for j in 0..<c { let d = Double(tp[r * c + j]) - Double(sp[r * c + j]); s += d * d }
            np[r] = Float(s.squareRoot())
        }
    }
    var total = 0.0
    for r in 0..<rows { total += Double(np[r]) }
    let invSqrtC = 1 / Double(c).squareRoot()
    let out = Tensor(shape: [1], values: [Float(total * invSqrtC / Double(rows))])
    if let tape = Tape.active(for: student) {
        tape.record(out) { g in
            // Re-read the pointers from the tensors: the closure must keep them (and `norms`) alive.
            let gs = student.ensureGrad().data, tp = teacher.data, sp = student.data, np = norms.data
            let k = Double(g.data[0]) * invSqrtC / Double(rows)
            for r in 0..<rows where np[r] > 0 {
                let f = Float(k / Double(np[r]))
                for j in 0..<c { gs[r * c + j] -= f * (tp[r * c + j] - sp[r * c + j]) }
            }
        }
    }
    return out
}
