/// Scales all gradients so that their global L2 norm is at most `maxNorm`, as
/// `torch.nn.utils.clip_grad_norm_` (coefficient maxNorm / (norm + 1e-6), applied only when < 1).
/// Returns the norm before clipping. Parameters without a gradient are ignored.
@discardableResult
public func clipGradNorm(_ params: [Tensor], maxNorm: Float) -> Float {
    var total = 0.0
    for p in params {
        guard let g = p.grad else { continue }
        let gp = g.data
        var s0 = 0.0, s1 = 0.0
        var i = 0
        while i + 2 <= g.count { s0 += Double(gp[i]) * Double(gp[i]); s1 += Double(gp[i + 1]) * Double(gp[i + 1]); i += 2 }
        if i < g.count { s0 += Double(gp[i]) * Double(gp[i]) }
        total += s0 + s1
    }
    let norm = total.squareRoot()
    let coef = Double(maxNorm) / (norm + 1e-6)
    if coef < 1 {
        let c = Float(coef)
        for p in params { if let g = p.grad { let gp = g.data; for i in 0..<g.count { gp[i] *= c } } }
    }
    return Float(norm)
}
