/// The output head and its loss in one op, over blocks of rows, so that no [tokens × vocab] tensor of the
/// student or the teacher ever exists whole: per block, the logits GEMM(s), the row losses and the
/// gradient with respect to the logits (`HeadLossKernels`), then that gradient's two GEMMs into the
/// hidden-state and head gradients. The gradients are computed in the forward pass for an upstream
/// gradient of 1 and scaled by the real one in the backward (the loss is linear in it), which is what
/// lets each block's logits be dropped at once.
///
/// `hidden` [n, C] are the student's final-normed hidden states, `head` [V, C] its output weight;
/// `teacherHidden`/`teacherHead` the teacher's (no gradient), needed when `weights.kl` ≠ 0; `targets`
/// [n] when `weights.ce` ≠ 0. Returns mean over rows of `kl · KL(p_T ‖ p_S) + ce · CE`, shape [1]:
/// equal to `kl · klDivergence(linear(tH, tW), linear(h, W)) + ce · crossEntropy(linear(h, W), targets)`
/// up to float rounding.
public func fusedHeadLoss(hidden: Tensor, head: Tensor, teacherHidden: Tensor? = nil, teacherHead: Tensor? = nil,
                          targets: [Int32]? = nil, weights: HeadLossKernels.Weights, blockRows: Int = HeadLossKernels.defaultBlockRows) -> Tensor {
    let c = hidden.lastDim, n = hidden.rowCount, v = head.shape[0]
    precondition(head.rank == 2 && head.shape[1] == c, "fusedHeadLoss: hidden \(hidden.shape) does not match head \(head.shape)")
    precondition(n > 0, "fusedHeadLoss: no rows")
    if weights.kl != 0 {
        precondition(teacherHidden?.rowCount == n && teacherHead?.shape[0] == v,
                     "fusedHeadLoss: a KL weight needs teacher hidden states [\(n), C'] and a teacher head [\(v), C']")
    }
    if weights.ce != 0 {
        precondition(targets?.count == n, "fusedHeadLoss: \(targets?.count ?? 0) targets for \(n) rows")
        for (i, t) in targets!.enumerated() {
            precondition(t >= 0 && Int(t) < v, "fusedHeadLoss: target \(t) at position \(i) is outside the vocabulary 0..<\(v)")
        }
    }
    let tape = Tape.active(for: hidden, head)
    let needHidden = tape != nil && hidden.requiresGrad, needHead = tape != nil && head.requiresGrad
    let dHidden = needHidden ? Tensor(zeros: [n, c]) : nil
    let dHead = needHead ? Tensor(zeros: [v, c]) : nil
    let rowsPerBlock = max(1, min(blockRows, n))
    let s = Tensor(zeros: [rowsPerBlock, v])
    let t = weights.kl != 0 ? Tensor(zeros: [rowsPerBlock, v]) : nil
    let tc = teacherHidden?.lastDim ?? 0
    let perRow = UnsafeMutablePointer<Double>.allocate(capacity: n)
    defer { perRow.deallocate() }
    let h = hidden.data
    for lo in stride(from: 0, to: n, by: rowsPerBlock) {
        let b = min(rowsPerBlock, n - lo)
        Gemm.sgemmPacked(transA: false, transB: true, m: b, n: v, k: c, a: h + lo * c, b: head.data, c: s.data)
        if let t, let teacherHidden, let teacherHead {
            Gemm.sgemmPacked(transA: false, transB: true, m: b, n: v, k: tc, a: teacherHidden.data + lo * tc, b: teacherHead.data, c: t.data)
        }
        let grads = needHidden || needHead
        let run = { (tp: UnsafePointer<Int32>?) in
            HeadLossKernels.rows(student: s.data, teacher: t.map { UnsafePointer($0.data) }, targets: tp, weights: weights,
                                 rows: b, v: v, loss: perRow + lo, gradScale: grads ? 1 / Float(n) : nil)
        }
        if let targets { targets.withUnsafeBufferPointer { run($0.baseAddress! + lo) } } else { run(nil) }
        if let dHidden {   // dH[block] = dS · W
            Gemm.sgemmPacked(transA: false, transB: false, m: b, n: c, k: v, a: s.data, b: head.data, c: dHidden.data + lo * c)
        }
        if let dHead {     // dW += dSᵀ · H[block]
            Gemm.sgemmPacked(transA: true, transB: false, m: v, n: c, k: b, a: s.data, b: h + lo * c, beta: 1, c: dHead.data)
        }
    }
    var total = 0.0
    for r in 0..<n { total += perRow[r] }
    let out = Tensor(shape: [1], values: [Float(total / Double(n))])
    if let tape {
        tape.record(out) { g in
            let scale = g.data[0]
            if let dHidden { ElementwiseKernels.axpy(dHidden.data, scale: scale, into: hidden.ensureGrad().data, count: n * c) }
            if let dHead { ElementwiseKernels.axpy(dHead.data, scale: scale, into: head.ensureGrad().data, count: v * c) }
        }
    }
    return out
}
