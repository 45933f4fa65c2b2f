/// Unary activations, elementwise over any shape; the result has `x`'s shape. sigmoid, exp and silu
/// use `FastMath.exp` (~1 ulp, vectorised); tanh and softplus use libm.

/// Logistic sigmoid `1 / (1 + e^-x)`.
public func sigmoid(_ x: Tensor) -> Tensor { unaryOp(.sigmoid, x) }

/// Hyperbolic tangent.
public func tanh(_ x: Tensor) -> Tensor { unaryOp(.tanh, x) }

/// `e^x` (finite: inputs above 88 give e^88).
public func exp(_ x: Tensor) -> Tensor { unaryOp(.exp, x) }

/// `log(1 + e^x)` as PyTorch `softplus` (linear above 20).
public func softplus(_ x: Tensor) -> Tensor { unaryOp(.softplus, x) }

/// `x * sigmoid(x)` (SiLU / swish).
public func silu(_ x: Tensor) -> Tensor { unaryOp(.silu, x) }

/// `-x`.
public func neg(_ x: Tensor) -> Tensor { unaryOp(.neg, x) }

func unaryOp(_ op: ElementwiseKernels.Unary, _ x: Tensor) -> Tensor {
    let out = Tensor(zeros: x.shape)
    ElementwiseKernels.unary(op, x.data, out.data, count: x.count)
    if let tape = Tape.active(for: x) {
        tape.record(out) { g in
            ElementwiseKernels.unaryBackward(op, x: x.data, y: out.data, dy: g.data, dx: x.ensureGrad().data, count: x.count)
        }
    }
    return out
}
