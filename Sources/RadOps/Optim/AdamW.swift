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
    public internal(set) var stepCount = 0
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
        for (gi, group) in groups.enumerated() {
            let c = constants(group: gi)
            for (pi, p) in group.params.enumerated() {
                guard let g = p.grad else { continue }
                let mt = m[gi][pi] ?? Tensor(zeros: p.shape), vt = v[gi][pi] ?? Tensor(zeros: p.shape)
                m[gi][pi] = mt; v[gi][pi] = vt
                Self.update(p.data, grad: g.data, m: mt.data, v: vt.data, count: p.count, c)
            }
        }
    }

    /// The numbers one step applies to every element of group `gi`, at the current `stepCount`.
    public struct StepConstants: Sendable {
        let decay: Float, stepSize: Float, invSqrtBc2: Float, b1: Float, b2: Float, e: Float
    }

    public func constants(group gi: Int) -> StepConstants {
        let bc1 = 1 - Foundation.pow(beta1, Double(stepCount)), bc2 = 1 - Foundation.pow(beta2, Double(stepCount))
        let lr = groups[gi].lr, wd = groups[gi].weightDecay ?? weightDecay
        return StepConstants(decay: Float(1 - lr * wd), stepSize: Float(lr / bc1), invSqrtBc2: Float(1 / bc2.squareRoot()),
                             b1: Float(beta1), b2: Float(beta2), e: Float(eps))
    }

    /// The update of `count` elements of a parameter from their gradient and moments (in place): every
    /// element on its own, so that any split of a parameter (`ShardedAdamW`) updates it bit for bit alike.
    public static func update(_ pp: UnsafeMutablePointer<Float>, grad gp: UnsafePointer<Float>, m mp: UnsafeMutablePointer<Float>,
                              v vp: UnsafeMutablePointer<Float>, count: Int, _ c: StepConstants) {
        let b1 = c.b1, b2 = c.b2, e = c.e, decay = c.decay, stepSize = c.stepSize, invSqrtBc2 = c.invSqrtBc2
        Parallel.forRanges(count, minPerThread: 1 << 15) { r in
            for i in r {
                let gi = gp[i]
                let mi = b1 * mp[i] + (1 - b1) * gi
                let vi = b2 * vp[i] + (1 - b2) * gi * gi
                mp[i] = mi; vp[i] = vi
                pp[i] = pp[i] * decay - stepSize * mi / (vi.squareRoot() * invSqrtBc2 + e)
            }
        }
    }

    /// Bytes of the moments held now (allocated on each parameter's first update).
    public var stateBytes: Int {
        (m + v).joined().reduce(0) { $0 + ($1?.count ?? 0) } * MemoryLayout<Float>.size
    }

    /// The parameters of all groups, in order, with their group.
    public var parameters: [(group: Int, param: Tensor)] {
        groups.indices.flatMap { gi in groups[gi].params.map { (gi, $0) } }
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
        let checked = try validated(state)
        m = checked.moments.map { $0.map { $0.m?.copy() } }
        v = checked.moments.map { $0.map { $0.v?.copy() } }
        stepCount = checked.step
    }

    /// A state's step and every parameter's moments in it (`[group][param]`, nil where it has none),
    /// after the checks `importState` promises.
    func validated(_ state: [String: Tensor]) throws -> (step: Int, moments: [[(m: Tensor?, v: Tensor?)]]) {
        guard let s = state["step"], s.count == 1, s.item >= 0, s.item == s.item.rounded() else {
            throw OptimizerStateError("optimizer state: missing or invalid \"step\"")
        }
        var used: Set<String> = ["step"]
        func entry(_ k: String, _ p: Tensor) throws -> Tensor? {
            guard let t = state[k] else { return nil }
            guard t.shape == p.shape else {
                throw OptimizerStateError("optimizer state: \"\(k)\" has shape \(t.shape) but the parameter is \(p.shape)")
            }
            used.insert(k)
            return t
        }
        let moments = try groups.indices.map { gi in
            try groups[gi].params.indices.map { pi -> (m: Tensor?, v: Tensor?) in
                let p = groups[gi].params[pi], k = key(gi, pi)
                return (try entry(k + ".exp_avg", p), try entry(k + ".exp_avg_sq", p))
            }
        }
        if let extra = state.keys.filter({ !used.contains($0) }).sorted().first {
            throw OptimizerStateError("optimizer state: \"\(extra)\" matches no parameter of this optimizer")
        }
        return (Int(s.item), moments)
    }
}
