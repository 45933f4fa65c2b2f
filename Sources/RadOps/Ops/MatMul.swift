/// Matrix products. Shapes follow the math: `matmul(a, b)` multiplies op(a) [.., M, K] by op(b) [K, N].
///
/// `b` may be 2-D (a weight shared by every leading index of `a`: the rows of `a` are flattened into
/// one GEMM), or have the same leading (batch) dimensions as `a` (one GEMM per batch index).
public func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
    precondition(a.rank >= 2 && b.rank >= 2, "matmul needs rank >= 2, got \(a.shape) x \(b.shape)")
    let aRows = a.shape[a.rank - 2], aCols = a.shape[a.rank - 1]
    let bRows = b.shape[b.rank - 2], bCols = b.shape[b.rank - 1]
    let m = transposeA ? aCols : aRows, k = transposeA ? aRows : aCols
    let kb = transposeB ? bCols : bRows, n = transposeB ? bRows : bCols
    precondition(k == kb, "matmul inner dimensions differ: \(a.shape)\(transposeA ? "ᵀ" : "") x \(b.shape)\(transposeB ? "ᵀ" : "")")
    let batchShape = Array(a.shape.dropLast(2))
    let batch = batchShape.reduce(1, *)
    let sharedB = b.rank == 2
    if !sharedB {
        precondition(Array(b.shape.dropLast(2)) == batchShape, "matmul batch dimensions differ: \(a.shape) x \(b.shape)")
    }
    let out = Tensor(uninitialized: batchShape + [m, n])   // every GEMM below writes its block with beta 0

    // With a shared right operand and untransposed left one, all batches are one tall GEMM.
    let fused = sharedB && !transposeA
    let gemmBatch = fused ? 1 : batch
    let gm = fused ? batch * m : m
    func each(_ body: (_ i: Int, _ aOff: Int, _ bOff: Int, _ cOff: Int) -> Void) {
        for i in 0..<gemmBatch { body(i, i * m * k, sharedB ? 0 : i * k * n, i * m * n) }
    }
    each { _, ao, bo, co in
        Gemm.sgemmPacked(transA: transposeA, transB: transposeB, m: gm, n: n, k: k,
                         a: a.data + ao, b: b.data + bo, c: out.data + co)
    }

    if let tape = Tape.active(for: a, b) {
        tape.record(out) { g in
            if a.requiresGrad {
                let ga = a.ensureGrad().data
                each { _, ao, bo, co in
                    if !transposeA {   // dA = dC · op(B)ᵀ
                        Gemm.sgemmPacked(transA: false, transB: !transposeB, m: gm, n: k, k: n,
                                         a: g.data + co, b: b.data + bo, beta: 1, c: ga + ao)
                    } else {           // dA (stored [k, m]) = op(B) · dCᵀ
                        Gemm.sgemmPacked(transA: transposeB, transB: true, m: k, n: m, k: n,
                                         a: b.data + bo, b: g.data + co, beta: 1, c: ga + ao)
                    }
                }
            }
            if b.requiresGrad {
                let gb = b.ensureGrad().data
                each { _, ao, bo, co in
                    if !transposeB {   // dB [k, n] = op(A)ᵀ · dC
                        Gemm.sgemmPacked(transA: !transposeA, transB: false, m: k, n: n, k: gm,
                                         a: a.data + ao, b: g.data + co, beta: 1, c: gb + bo)
                    } else {           // dB (stored [n, k]) = dCᵀ · op(A)
                        Gemm.sgemmPacked(transA: true, transB: transposeA, m: n, n: k, k: gm,
                                         a: g.data + co, b: a.data + ao, beta: 1, c: gb + bo)
                    }
                }
            }
        }
    }
    return out
}

/// `x · Wᵀ + bias` with a PyTorch-layout weight [out, in], as `nn.Linear`.
public func linear(_ x: Tensor, weight: Tensor, bias: Tensor? = nil) -> Tensor {
    precondition(weight.rank == 2 && x.lastDim == weight.shape[1],
                 "linear: input \(x.shape) does not match weight \(weight.shape)\(weight.name.map { " (\($0))" } ?? "")")
    let flat = x.rank == 2 ? x : x.reshaped([-1, x.lastDim])
    let y = matmul(flat, weight, transposeB: true)
    let withBias = bias.map { addBias(y, $0) } ?? y
    return x.rank == 2 ? withBias : withBias.reshaped(Array(x.shape.dropLast()) + [weight.shape[0]])
}

/// Adds a vector [N] to every row of `x` [.., N].
public func addBias(_ x: Tensor, _ bias: Tensor) -> Tensor {
    let n = x.lastDim
    precondition(bias.count == n, "bias of \(bias.count) for rows of \(n)")
    let out = Tensor(uninitialized: x.shape)   // every element is written below
    let rows = x.rowCount
    let xp = x.data, bp = bias.data, op = out.data
    Parallel.forRanges(rows, minPerThread: 64) { range in
        for r in range { for j in 0..<n { op[r * n + j] = xp[r * n + j] + bp[j] } }
    }
    if let tape = Tape.active(for: x, bias) {
        tape.record(out) { g in
            if x.requiresGrad { x.accumulateGrad(g.data) }
            if bias.requiresGrad {
                let gb = bias.ensureGrad().data, gp = g.data
                for r in 0..<rows { for j in 0..<n { gb[j] += gp[r * n + j] } }
            }
        }
    }
    return out
}
