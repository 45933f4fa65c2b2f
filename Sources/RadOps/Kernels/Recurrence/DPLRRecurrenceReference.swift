import Foundation

/// Slow, obvious per-token DPLR (RAD-RWKV7) recurrence in Double, which the tests compare the kernels
/// with. The backward keeps every state and applies the chain rule of each line of the update.
public enum DPLRRecurrenceReference {
    public struct Gradients {
        public var dr, dlogw, dk, dv, dAlpha, dBeta: [Float]
        public var dInitialState: [Float]
    }

    struct Inputs {
        let r, logw, k, v, alpha, beta: UnsafePointer<Float>
    }

    /// Returns y [B, T, H, N] and S_T [B, H, N, N].
    public static func forward(r: UnsafePointer<Float>, logw: UnsafePointer<Float>, k: UnsafePointer<Float>,
                               v: UnsafePointer<Float>, alpha: UnsafePointer<Float>, beta: UnsafePointer<Float>,
                               initialState: UnsafePointer<Float>?,
                               shape: RecurrenceShape) -> (output: [Float], finalState: [Float]) {
        let x = Inputs(r: r, logw: logw, k: k, v: v, alpha: alpha, beta: beta)
        let states = allStates(x, initialState: initialState, shape: shape)
        let n = shape.headSize
        return RecurrenceReadout.outputs(states, shape: shape) { o, st, out in
            // y_t[i] = Σ_j S_t[i][j]·r_t[j] (S indexed [value i][key j]).
            for i in 0..<n {
                var y = 0.0
                for j in 0..<n { y += st[i * n + j] * Double(r[o + j]) }
                out[o + i] = Float(y)
            }
        }
    }

    /// states[bh][t + 1] = S_t (S indexed [value i][key j]).
    static func allStates(_ x: Inputs, initialState: UnsafePointer<Float>?, shape: RecurrenceShape) -> [[[Double]]] {
        let n = shape.headSize
        return RecurrenceReadout.states(initialState: initialState, shape: shape) { o, s in
            var sa = [Double](repeating: 0, count: n)
            for i in 0..<n { for j in 0..<n { sa[i] += s[i * n + j] * Double(x.alpha[o + j]) } }
            for i in 0..<n {
                for j in 0..<n {
                    s[i * n + j] = s[i * n + j] * exp(Double(x.logw[o + j]))
                        + Double(x.v[o + i]) * Double(x.k[o + j]) + sa[i] * Double(x.beta[o + j])
                }
            }
        }
    }

    /// Gradients of Σ y ⊙ dy + Σ S_T ⊙ dS_T with respect to every input.
    public static func backward(r: UnsafePointer<Float>, logw: UnsafePointer<Float>, k: UnsafePointer<Float>,
                                v: UnsafePointer<Float>, alpha: UnsafePointer<Float>, beta: UnsafePointer<Float>,
                                initialState: UnsafePointer<Float>?, dOutput: UnsafePointer<Float>,
                                dFinalState: UnsafePointer<Float>?, shape: RecurrenceShape) -> Gradients {
        let x = Inputs(r: r, logw: logw, k: k, v: v, alpha: alpha, beta: beta)
        let states = allStates(x, initialState: initialState, shape: shape)
        let n = shape.headSize, nn = n * n, count = shape.sequenceCount
        let zeros = [Float](repeating: 0, count: count)
        var g = Gradients(dr: zeros, dlogw: zeros, dk: zeros, dv: zeros, dAlpha: zeros, dBeta: zeros, dInitialState: [])
        func d(_ p: UnsafePointer<Float>, _ i: Int) -> Double { Double(p[i]) }
        let dInitialState = RecurrenceReadout.backward(states, shape: shape, dFinalState: dFinalState) { o, st, prev, ds in
            // y_i = Σ_j S_t[i][j] r_j
            for j in 0..<n {
                var dr = 0.0
                for i in 0..<n { dr += st[i * n + j] * d(dOutput, o + i) }
                g.dr[o + j] = Float(dr)
            }
            for i in 0..<n { for j in 0..<n { ds[i * n + j] += d(dOutput, o + i) * d(r, o + j) } }
            // S_t[i][j] = S[i][j] w_j + v_i k_j + sa_i β_j,  sa_i = Σ_j S[i][j] α_j
            var sa = [Double](repeating: 0, count: n), dsa = [Double](repeating: 0, count: n)
            for i in 0..<n { for j in 0..<n { sa[i] += prev[i * n + j] * d(alpha, o + j) } }
            for i in 0..<n {
                var dv = 0.0
                for j in 0..<n {
                    dv += ds[i * n + j] * d(k, o + j)
                    dsa[i] += ds[i * n + j] * d(beta, o + j)
                }
                g.dv[o + i] = Float(dv)
            }
            for j in 0..<n {
                let w = exp(d(logw, o + j))
                var dk = 0.0, db = 0.0, dw = 0.0, da = 0.0
                for i in 0..<n {
                    dk += ds[i * n + j] * d(v, o + i)
                    db += ds[i * n + j] * sa[i]
                    dw += ds[i * n + j] * prev[i * n + j]
                    da += prev[i * n + j] * dsa[i]
                }
                g.dk[o + j] = Float(dk)
                g.dBeta[o + j] = Float(db)
                g.dlogw[o + j] = Float(dw * w)
                g.dAlpha[o + j] = Float(da)
            }
            var prevGrad = [Double](repeating: 0, count: nn)
            for i in 0..<n {
                for j in 0..<n {
                    prevGrad[i * n + j] = ds[i * n + j] * exp(d(logw, o + j)) + dsa[i] * d(alpha, o + j)
                }
            }
            ds = prevGrad
        }
        g.dInitialState = dInitialState
        return g
    }
}
