/// Scales all gradients so that their global L2 norm is at most `maxNorm`, as
/// `torch.nn.utils.clip_grad_norm_` (coefficient maxNorm / (norm + 1e-6), applied only when < 1).
/// Returns the norm before clipping. Parameters without a gradient are ignored.
@discardableResult
public func clipGradNorm(_ params: [Tensor], maxNorm: Float) -> Float {
    var total = 0.0
    for p in params { if let g = p.grad { total += GradientClip.squaredSum(g.data, count: g.count) } }
    let norm = total.squareRoot()
    if let c = GradientClip.scale(norm: norm, maxNorm: maxNorm) {
        for p in params { if let g = p.grad { GradientClip.multiply(g.data, count: g.count, by: c) } }
    }
    return Float(norm)
}

/// The parts of gradient-norm clipping, for a norm summed over pieces held apart (`ShardedAdamW`: every
/// rank's shard of the gradients, the squared sums added over the ranks).
public enum GradientClip {
    /// Σ g² of `count` floats, in double.
    public static func squaredSum(_ gp: UnsafePointer<Float>, count: Int) -> Double {
        var s0 = 0.0, s1 = 0.0
        var i = 0
        while i + 2 <= count { s0 += Double(gp[i]) * Double(gp[i]); s1 += Double(gp[i + 1]) * Double(gp[i + 1]); i += 2 }
        if i < count { s0 += Double(gp[i]) * Double(gp[i]) }
        return s0 + s1
    }

    /// The factor the gradients are multiplied by for a global norm `norm`; nil when they stay as they are.
    /// nil: leave the gradients as they are (below the maximum, or `maxNorm` 0: clipping off, the
    /// manifest's `grad_clip: 0`; before, 0 scaled every gradient to zero).
    public static func scale(norm: Double, maxNorm: Float) -> Float? {
        guard maxNorm > 0 else { return nil }
        let coef = Double(maxNorm) / (norm + 1e-6)
        return coef < 1 ? Float(coef) : nil
    }

    public static func multiply(_ gp: UnsafeMutablePointer<Float>, count: Int, by c: Float) {
        for i in 0..<count { gp[i] *= c }
    }
}
