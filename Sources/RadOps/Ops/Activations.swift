import Foundation

/// Unary activations, elementwise over any shape; the result has `x`'s shape.

/// Logistic sigmoid `1 / (1 + e^-x)`.
public func sigmoid(_ x: Tensor) -> Tensor {
    unaryOp(x, ElementwiseKernels.sigmoid) { _, y, g in g * y * (1 - y) }
}

/// Hyperbolic tangent.
public func tanh(_ x: Tensor) -> Tensor {
    unaryOp(x, { Foundation.tanh($0) }) { _, y, g in g * (1 - y * y) }
}

/// `e^x`.
public func exp(_ x: Tensor) -> Tensor {
    unaryOp(x, { Foundation.exp($0) }) { _, y, g in g * y }
}

/// `log(1 + e^x)` as PyTorch `softplus` (linear above 20).
public func softplus(_ x: Tensor) -> Tensor {
    unaryOp(x, ElementwiseKernels.softplus) { x, _, g in x > 20 ? g : g * ElementwiseKernels.sigmoid(x) }
}

/// `x * sigmoid(x)` (SiLU / swish).
public func silu(_ x: Tensor) -> Tensor {
    unaryOp(x, ElementwiseKernels.silu) { x, _, g in g * ElementwiseKernels.siluDerivative(x) }
}

/// `-x`.
public func neg(_ x: Tensor) -> Tensor {
    unaryOp(x, { -$0 }) { _, _, g in -g }
}

/// Applies `f` elementwise; `df(x, y, upstream)` gives the input gradient from input, output and upstream.
@inline(__always)
func unaryOp(_ x: Tensor, _ f: (Float) -> Float, _ df: @escaping (Float, Float, Float) -> Float) -> Tensor {
    let out = Tensor(zeros: x.shape)
    ElementwiseKernels.map(x.data, out.data, count: x.count, f)
    if let tape = Tape.active(for: x) {
        tape.record(out) { g in
            let tmp = Tensor(zeros: x.shape)
            ElementwiseKernels.map3(x.data, out.data, g.data, tmp.data, count: x.count, df)
            x.accumulateGrad(tmp.data)
        }
    }
    return out
}
