import Foundation

/// Slow, obvious per-token gated delta rule (RAD-GDN) in Double, which the tests compare the kernels
/// with. Written as FLA's naive loop: h = h·e^g; v' = β (v − hᵀk); h = h + k v'ᵀ; o = (scale·q)ᵀ h, with
/// the state indexed [key i][value j]. The backward keeps every state and applies the chain rule of
/// each of those lines.
public enum GatedDeltaRecurrenceReference {
    public struct Gradients {
        public var dq, dk, dv: [Float]
        public var dLogDecay, dBeta: [Float]
        public var dInitialState: [Float]
    }

    /// Returns o [B, T, H, N] and S_T [B, H, N, N].
    public static func forward(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                               logDecay g: UnsafePointer<Float>, beta: UnsafePointer<Float>, scale: Float,
                               initialState: UnsafePointer<Float>?,
                               shape: RecurrenceShape) -> (output: [Float], finalState: [Float]) {
        let states = allStates(k: k, v: v, g: g, beta: beta, initialState: initialState, shape: shape)
        return RecurrenceReadout.keyValueOutputs(q: q, scale: scale, states: states, shape: shape)
    }

    /// states[bh][t + 1] = S_t (S indexed [key i][value j]).
    static func allStates(k: UnsafePointer<Float>, v: UnsafePointer<Float>, g: UnsafePointer<Float>,
                          beta: UnsafePointer<Float>, initialState: UnsafePointer<Float>?,
                          shape: RecurrenceShape) -> [[[Double]]] {
        let n = shape.headSize, nn = n * n
        return RecurrenceReadout.states(initialState: initialState, shape: shape) { o, s in
            let gi = o / n
            let a = exp(Double(g[gi])), bt = Double(beta[gi])
            for e in 0..<nn { s[e] *= a }
            var d = [Double](repeating: 0, count: n)
            for j in 0..<n {
                var u = 0.0
                for i in 0..<n { u += s[i * n + j] * Double(k[o + i]) }
                d[j] = bt * (Double(v[o + j]) - u)
            }
            for i in 0..<n { for j in 0..<n { s[i * n + j] += Double(k[o + i]) * d[j] } }
        }
    }

    /// Gradients of Σ o ⊙ dO + Σ S_T ⊙ dS_T with respect to every input.
    public static func backward(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                                logDecay g: UnsafePointer<Float>, beta: UnsafePointer<Float>, scale: Float,
                                initialState: UnsafePointer<Float>?, dOutput: UnsafePointer<Float>,
                                dFinalState: UnsafePointer<Float>?, shape: RecurrenceShape) -> Gradients {
        let states = allStates(k: k, v: v, g: g, beta: beta, initialState: initialState, shape: shape)
        let n = shape.headSize, nn = n * n, count = shape.sequenceCount
        let zeros = [Float](repeating: 0, count: count), scalars = [Float](repeating: 0, count: count / n)
        var grads = Gradients(dq: zeros, dk: zeros, dv: zeros, dLogDecay: scalars, dBeta: scalars, dInitialState: [])
        func d(_ p: UnsafePointer<Float>, _ i: Int) -> Double { Double(p[i]) }
        let sc = Double(scale)
        let dInitialState = RecurrenceReadout.backward(states, shape: shape, dFinalState: dFinalState) { o, st, prev, ds in
            let gi = o / n, a = exp(d(g, gi)), bt = d(beta, gi)
            // o_j = Σ_i scale·q_i S_t[i][j]
            for i in 0..<n {
                var dq = 0.0
                for j in 0..<n {
                    dq += st[i * n + j] * d(dOutput, o + j)
                    ds[i * n + j] += sc * d(q, o + i) * d(dOutput, o + j)
                }
                grads.dq[o + i] = Float(sc * dq)
            }
            // Recompute the step: H = a S_{t−1}, u = Hᵀk, vd = v − u, d = β vd.
            let hm = prev.map { $0 * a }
            var u = [Double](repeating: 0, count: n)
            for j in 0..<n { for i in 0..<n { u[j] += hm[i * n + j] * d(k, o + i) } }
            let vd = (0..<n).map { d(v, o + $0) - u[$0] }
            // S_t = H + k dᵀ
            var dH = ds, dd = [Double](repeating: 0, count: n), dk = [Double](repeating: 0, count: n)
            for i in 0..<n {
                for j in 0..<n {
                    dk[i] += ds[i * n + j] * bt * vd[j]
                    dd[j] += ds[i * n + j] * d(k, o + i)
                }
            }
            // d = β (v − u)
            var dBeta = 0.0
            for j in 0..<n {
                grads.dv[o + j] = Float(bt * dd[j])
                dBeta += dd[j] * vd[j]
            }
            let du = dd.map { -bt * $0 }
            // u_j = Σ_i H[i][j] k_i
            for i in 0..<n {
                for j in 0..<n {
                    dH[i * n + j] += d(k, o + i) * du[j]
                    dk[i] += hm[i * n + j] * du[j]
                }
            }
            for i in 0..<n { grads.dk[o + i] = Float(dk[i]) }
            grads.dBeta[gi] = Float(dBeta)
            // H = e^g S_{t−1}
            var dg = 0.0
            for e in 0..<nn { dg += dH[e] * prev[e] * a }
            grads.dLogDecay[gi] = Float(dg)
            ds = dH.map { $0 * a }
        }
        grads.dInitialState = dInitialState
        return grads
    }
}
