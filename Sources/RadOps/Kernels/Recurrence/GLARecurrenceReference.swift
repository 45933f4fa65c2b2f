import Foundation

/// Slow, obvious per-token GLA recurrence in Double, which the tests compare the kernels with.
/// The backward keeps every state and applies the chain rule step by step (including the direct decay
/// gradient dlogw_t[i] = w_t[i] · Σ_j dS_t[i][j] S_{t−1}[i][j]), independently of the kernel's identity.
public enum GLARecurrenceReference {
    public struct Gradients {
        public var dq, dk, dv, dlogw: [Float]
        public var dInitialState: [Float]
    }

    /// Returns o [B, T, H, N] and S_T [B, H, N, N].
    public static func forward(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                               logw: UnsafePointer<Float>, scale: Float, initialState: UnsafePointer<Float>?,
                               shape: RecurrenceShape) -> (output: [Float], finalState: [Float]) {
        let states = allStates(q: q, k: k, v: v, logw: logw, initialState: initialState, shape: shape)
        return RecurrenceReadout.keyValueOutputs(q: q, scale: scale, states: states, shape: shape)
    }

    /// All states S_{−1}...S_{T−1} per (batch, head): states[bh][t + 1] = S_t.
    static func allStates(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                          logw: UnsafePointer<Float>, initialState: UnsafePointer<Float>?,
                          shape: RecurrenceShape) -> [[[Double]]] {
        let n = shape.headSize
        return RecurrenceReadout.states(initialState: initialState, shape: shape) { o, s in
            for i in 0..<n {
                for j in 0..<n {
                    s[i * n + j] = exp(Double(logw[o + i])) * s[i * n + j] + Double(k[o + i]) * Double(v[o + j])
                }
            }
        }
    }

    /// Gradients of Σ o ⊙ dO + Σ S_T ⊙ dS_T with respect to every input.
    public static func backward(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                                logw: UnsafePointer<Float>, scale: Float, initialState: UnsafePointer<Float>?,
                                dOutput: UnsafePointer<Float>, dFinalState: UnsafePointer<Float>?,
                                shape: RecurrenceShape) -> Gradients {
        let states = allStates(q: q, k: k, v: v, logw: logw, initialState: initialState, shape: shape)
        let n = shape.headSize, count = shape.sequenceCount
        var g = Gradients(dq: .init(repeating: 0, count: count), dk: .init(repeating: 0, count: count),
                          dv: .init(repeating: 0, count: count), dlogw: .init(repeating: 0, count: count),
                          dInitialState: [])
        let sc = Double(scale)
        let dInitialState = RecurrenceReadout.backward(states, shape: shape, dFinalState: dFinalState) { o, st, prev, ds in
            // o_t = q̃_t S_t: gradient into q and into S_t.
            for i in 0..<n {
                var acc = 0.0
                for j in 0..<n {
                    acc += Double(dOutput[o + j]) * st[i * n + j]
                    ds[i * n + j] += Double(q[o + i]) * sc * Double(dOutput[o + j])
                }
                g.dq[o + i] = Float(acc * sc)
            }
            // S_t = diag(w) S_{t−1} + kᵀv.
            for i in 0..<n {
                let w = exp(Double(logw[o + i]))
                var dk = 0.0, dw = 0.0
                for j in 0..<n {
                    dk += ds[i * n + j] * Double(v[o + j])
                    dw += ds[i * n + j] * prev[i * n + j]
                }
                g.dk[o + i] = Float(dk)
                g.dlogw[o + i] = Float(dw * w)
            }
            for j in 0..<n {
                var dv = 0.0
                for i in 0..<n { dv += ds[i * n + j] * Double(k[o + i]) }
                g.dv[o + j] = Float(dv)
            }
            for i in 0..<n {
                let w = exp(Double(logw[o + i]))
                for j in 0..<n { ds[i * n + j] *= w }
            }
        }
        g.dInitialState = dInitialState
        return g
    }
}
