/// RWKV-6's data-dependent token shift ("ddlerp", spec §2.2) as one op with a hand-written backward:
///
///     dx   = shift(x) − x                      (x_{t−1} − x_t; the first token reads `previous` or 0)
///     xx   = x + dx ⊙ maaX
///     m    = tanh(xx · w1)                     [N, K·R]
///     mixᵢ = x + dx ⊙ (m[:, iR..<(i+1)R] · w2[i] + maaᵢ)      for i in 0..<K
///
/// The composition of separate ops keeps about 6 + 4K [N, C] temporaries on the tape per layer; this
/// keeps only `m` (the mixes themselves are the next GEMMs' inputs) and recomputes dx, xx and the
/// low-rank products in the backward, where they cost one pass over x and K small GEMMs.
/// `x` [B, T, C], `previous` [B, C] (no gradient: decoding state), `maaX` [C], `w1` [C, K·R],
/// `w2` [K, R, C], `maa` K tensors [C]. Returns K tensors [B, T, C].
public func tokenShiftMix(_ x: Tensor, previous: Tensor? = nil, maaX: Tensor, w1: Tensor, w2: Tensor, maa: [Tensor]) -> [Tensor] {
    precondition(x.rank == 3, "tokenShiftMix expects x [B, T, C], got \(x.shape)")
    let b = x.shape[0], t = x.shape[1], c = x.shape[2], n = b * t, k = maa.count
    precondition(w2.rank == 3 && w2.shape[0] == k && w2.shape[2] == c, "tokenShiftMix: w2 \(w2.shape) for \(k) mixes of \(c)")
    let r = w2.shape[1], kr = k * r
    precondition(w1.shape == [c, kr] && maaX.count == c && maa.allSatisfy { $0.count == c },
                 "tokenShiftMix: w1 \(w1.shape), maaX \(maaX.shape) for C \(c), K·R \(kr)")
    if let previous { precondition(previous.count == b * c, "tokenShiftMix: previous \(previous.shape) for \(x.shape)") }

    let dx = Tensor(zeros: [n, c]), xx = Tensor(zeros: [n, c])
    TokenShiftKernels.shiftDelta(x.data, previous: previous?.data, b: b, t: t, c: c, dx: dx.data, xx: xx.data, maaX: maaX.data)
    let m = Tensor(zeros: [n, kr])
    Gemm.sgemmPacked(transA: false, transB: false, m: n, n: kr, k: c, a: xx.data, b: w1.data, c: m.data)
    TokenShiftKernels.tanhInPlace(m.data, count: n * kr)
    let outputs = (0..<k).map { _ in Tensor(zeros: [b, t, c]) }
    let p = Tensor(zeros: [n, c])
    for i in 0..<k {
        lowRank(i, m: m.data, w2: w2.data, n: n, r: r, kr: kr, c: c, into: p.data)
        TokenShiftKernels.mix(x.data, dx: dx.data, p: p.data, maa: maa[i].data, rows: n, c: c, out: outputs[i].data)
    }
    guard let tape = Tape.active(forAny: [x, maaX, w1, w2] + maa) else { return outputs }
    tape.record(outputs: outputs) { grads in
        // Recomputed: dx and xx from x, each Pᵢ from m.
        let dx = Tensor(zeros: [n, c]), xx = Tensor(zeros: [n, c]), p = Tensor(zeros: [n, c])
        TokenShiftKernels.shiftDelta(x.data, previous: previous?.data, b: b, t: t, c: c, dx: dx.data, xx: xx.data, maaX: maaX.data)
        let gdx = Tensor(zeros: [n, c]), gp = Tensor(zeros: [n, c]), gm = Tensor(zeros: [n, kr])
        let gx = x.requiresGrad ? x.ensureGrad().data : nil
        for i in 0..<k {
            guard let g = grads[i] else { continue }
            lowRank(i, m: m.data, w2: w2.data, n: n, r: r, kr: kr, c: c, into: p.data)
            TokenShiftKernels.mixBackward(g.data, dx: dx.data, p: p.data, maa: maa[i].data, rows: n, c: c,
                                          gdx: gdx.data, gp: gp.data, gx: gx,
                                          gmaa: maa[i].requiresGrad ? maa[i].ensureGrad().data : nil)
            // dm[:, i] = dPᵢ · w2[i]ᵀ ; dw2[i] += m[:, i]ᵀ · dPᵢ
            Gemm.sgemm(transA: false, transB: true, m: n, n: r, k: c, a: gp.data, lda: c, b: w2.data + i * r * c, ldb: c,
                       beta: 0, c: gm.data + i * r, ldc: kr)
            if w2.requiresGrad {
                Gemm.sgemm(transA: true, transB: false, m: r, n: c, k: n, a: m.data + i * r, lda: kr, b: gp.data, ldb: c,
                           beta: 1, c: w2.ensureGrad().data + i * r * c, ldc: c)
            }
        }
        TokenShiftKernels.tanhBackwardInPlace(gm.data, tanh: m.data, count: n * kr)   // d pre-activation
        if w1.requiresGrad {   // dw1 += xxᵀ · dpre
            Gemm.sgemmPacked(transA: true, transB: false, m: c, n: kr, k: n, a: xx.data, b: gm.data, beta: 1, c: w1.ensureGrad().data)
        }
        let gxx = Tensor(zeros: [n, c])   // dxx = dpre · w1ᵀ
        Gemm.sgemmPacked(transA: false, transB: true, m: n, n: c, k: kr, a: gm.data, b: w1.data, c: gxx.data)
        TokenShiftKernels.shiftDeltaBackward(gxx: gxx.data, gdx: gdx.data, dx: dx.data, maaX: maaX.data, b: b, t: t, c: c,
                                             gx: gx, gmaaX: maaX.requiresGrad ? maaX.ensureGrad().data : nil)
    }
    return outputs
}

/// Pᵢ = m[:, iR..<(i+1)R] · w2[i] into `p` [n, c].
private func lowRank(_ i: Int, m: UnsafePointer<Float>, w2: UnsafePointer<Float>, n: Int, r: Int, kr: Int, c: Int,
                     into p: UnsafeMutablePointer<Float>) {
    Gemm.sgemm(transA: false, transB: false, m: n, n: c, k: r, a: m + i * r, lda: kr, b: w2 + i * r * c, ldb: c, beta: 0, c: p, ldc: c)
}
