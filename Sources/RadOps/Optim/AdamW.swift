import Foundation

/// A set of parameters sharing one learning rate (e.g. the `.self_attn.` group of RADLADS).
public struct ParamGroup {
    public var params: [Tensor]
    public var lr: Double
    /// Decoupled weight decay of this group; nil uses the optimizer's default.
    public var weightDecay: Double?
    public init(params: [Tensor], lr: Double, weightDecay: Double? = nil) {
        self.params = params; self.lr = lr; self.weightDecay = weightDecay
    }
}

/// Errors restoring optimizer state from a checkpoint.
public struct OptimizerStateError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// AdamW exactly as `torch.optim.AdamW` (decoupled weight decay, bias-corrected moments, eps added to
/// the bias-corrected sqrt of v):
///   p ← p·(1 − lr·wd);  m ← β1 m + (1−β1) g;  v ← β2 v + (1−β2) g²
///   p ← p − lr/(1−β1^t) · m / (sqrt(v)/sqrt(1−β2^t) + ε)
/// Parameters whose `grad` is nil are skipped (their moments stay as they are).
public final class AdamW {
    public var groups: [ParamGroup]
    public let beta1: Double, beta2: Double, eps: Double, weightDecay: Double
    /// Number of `step()` calls so far (shared by all parameters, as FusedAdam).
    public private(set) var stepCount = 0
    /// First and second moments, `[group][param]`, allocated lazily on a parameter's first update.
    public private(set) var m: [[Tensor?]]
    public private(set) var v: [[Tensor?]]

    public init(groups: [ParamGroup], beta1: Double = 0.9, beta2: Double = 0.999, eps: Double = 1e-8, weightDecay: Double = 0.01) {
        self.groups = groups
        self.beta1 = beta1; self.beta2 = beta2; self.eps = eps; self.weightDecay = weightDecay
        m = groups.map { [Tensor?](repeating: nil, count: $0.params.count) }
        v = m
    }

    /// One update of every parameter that has a gradient.
    public func step() {
        stepCount += 1
        let bc1 = 1 - Foundation.pow(beta1, Double(stepCount)), bc2 = 1 - Foundation.pow(beta2, Double(stepCount))
        for (gi, group) in groups.enumerated() {
            let lr = group.lr, wd = group.weightDecay ?? weightDecay
            let decay = Float(1 - lr * wd), stepSize = Float(lr / bc1), invSqrtBc2 = Float(1 / bc2.squareRoot())
            let b1 = Float(beta1), b2 = Float(beta2), e = Float(eps)
            for (pi, p) in group.params.enumerated() {
                guard let g = p.grad else { continue }
                let mt = m[gi][pi] ?? Tensor(zeros: p.shape), vt = v[gi][pi] ?? Tensor(zeros: p.shape)
                m[gi][pi] = mt; v[gi][pi] = vt
                let pp = p.data, gp = g.data, mp = mt.data, vp = vt.data
                Parallel.forRanges(p.count, minPerThread: 1 << 15) { r in
                    for i in r {
                        let gi = gp[i]
                        let mi = b1 * mp[i] + (1 - b1) * gi
                        let vi = b2 * vp[i] + (1 - b2) * gi * gi
                        mp[i] = mi; vp[i] = vi
                        pp[i] = pp[i] * decay - stepSize * mi / (vi.squareRoot() * invSqrtBc2 + e)
                    }
                }
            }
        }
    }

    /// Drops the gradients of all parameters.
    public func zeroGrad() { for g in groups { for p in g.params { p.grad = nil } } }

    /// Key of a parameter's state: its name when it has one, else its position.
    func key(_ gi: Int, _ pi: Int) -> String { groups[gi].params[pi].name ?? "group\(gi).param\(pi)" }

    /// The state as named tensors: `<param>.exp_avg`, `<param>.exp_avg_sq` (PyTorch's names) and
    /// `step` ([1]). Parameters never updated have no entries.
    public func exportState() -> [String: Tensor] {
        var out: [String: Tensor] = ["step": Tensor(shape: [1], values: [Float(stepCount)])]
        for gi in groups.indices {
            for pi in groups[gi].params.indices {
                if let mt = m[gi][pi] { out[key(gi, pi) + ".exp_avg"] = mt.copy() }
                if let vt = v[gi][pi] { out[key(gi, pi) + ".exp_avg_sq"] = vt.copy() }
            }
        }
        return out
    }

    /// Restores a state written by `exportState` for the same parameters. Throws, naming the key,
    /// on a missing step, a shape mismatch, or an entry for no parameter.
    public func importState(_ state: [String: Tensor]) throws {
        guard let s = state["step"], s.count == 1, s.item >= 0, s.item == s.item.rounded() else {
            throw OptimizerStateError("optimizer state: missing or invalid \"step\"")
        }
        var used: Set<String> = ["step"]
        var newM = m, newV = v
        for gi in groups.indices {
            for pi in groups[gi].params.indices {
                let p = groups[gi].params[pi], k = key(gi, pi)
                for (suffix, isM) in [(".exp_avg", true), (".exp_avg_sq", false)] {
                    guard let t = state[k + suffix] else {
                        if isM { newM[gi][pi] = nil } else { newV[gi][pi] = nil }
                        continue
                    }
                    guard t.shape == p.shape else {
                        throw OptimizerStateError("optimizer state: \"\(k + suffix)\" has shape \(t.shape) but the parameter is \(p.shape)")
                    }
                    used.insert(k + suffix)
                    if isM { newM[gi][pi] = t.copy() } else { newV[gi][pi] = t.copy() }
                }
            }
        }
        if let extra = state.keys.filter({ !used.contains($0) }).sorted().first {
            throw OptimizerStateError("optimizer state: \"\(extra)\" matches no parameter of this optimizer")
        }
        m = newM; v = newV; stepCount = Int(s.item)
    }
}
