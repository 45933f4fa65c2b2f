/// What the Double references share, given every state S_t of every (batch, head) — states[bh][t + 1]
/// = S_t, states[bh][0] the initial state: the walk forward through time that makes them, the read-out
/// and the backward walk.
enum RecurrenceReadout {
    /// Every state of every (batch, head), starting from `initialState` (or zeros); `advance(offset, &S)`
    /// turns S_{t−1} into S_t for the token at `offset`.
    static func states(initialState: UnsafePointer<Float>?, shape: RecurrenceShape,
                       _ advance: (_ offset: Int, _ state: inout [Double]) -> Void) -> [[[Double]]] {
        let nn = shape.headStateCount
        var all: [[[Double]]] = []
        for b in 0..<shape.batch {
            for h in 0..<shape.heads {
                let bh = b * shape.heads + h
                var s = (0..<nn).map { e in initialState.map { Double($0[bh * nn + e]) } ?? 0 }
                var seq = [s]
                for t in 0..<shape.length {
                    advance(shape.offset(batch: b, token: t, head: h), &s)
                    seq.append(s)
                }
                all.append(seq)
            }
        }
        return all
    }

    /// The read-out of states indexed [key i][value j] (GLA, gated delta): o_t[j] = Σ_i scale·q_t[i]·S_t[i][j].
    static func keyValueOutputs(q: UnsafePointer<Float>, scale: Float, states: [[[Double]]], shape: RecurrenceShape)
        -> (output: [Float], finalState: [Float]) {
        let n = shape.headSize
        return outputs(states, shape: shape) { o, st, out in
            for j in 0..<n {
                var acc = 0.0
                for i in 0..<n { acc += Double(q[o + i]) * Double(scale) * st[i * n + j] }
                out[o + j] = Float(acc)
            }
        }
    }

    /// Each token's output is read from its own state by `read(offset, S_t, &output)`; the last state
    /// becomes the final state.
    static func outputs(_ states: [[[Double]]], shape: RecurrenceShape,
                        _ read: (_ offset: Int, _ state: [Double], _ output: inout [Float]) -> Void)
        -> (output: [Float], finalState: [Float]) {
        let nn = shape.headStateCount
        var out = [Float](repeating: 0, count: shape.sequenceCount)
        var final = [Float](repeating: 0, count: shape.stateCount)
        for b in 0..<shape.batch {
            for h in 0..<shape.heads {
                let bh = b * shape.heads + h
                for t in 0..<shape.length { read(shape.offset(batch: b, token: t, head: h), states[bh][t + 1], &out) }
                for e in 0..<nn { final[bh * nn + e] = Float(states[bh][shape.length][e]) }
            }
        }
        return (out, final)
    }

    /// Walks every (batch, head) from the last token to the first, starting from dS_T = `dFinalState` (or
    /// zeros): `step(offset, S_t, S_{t−1}, &dS)` writes the token's input gradients and turns dS_t into
    /// dS_{t−1}. Returns dS_{−1}, the initial state's gradient [B, H, N, N].
    static func backward(_ states: [[[Double]]], shape: RecurrenceShape, dFinalState: UnsafePointer<Float>?,
                         _ step: (_ offset: Int, _ state: [Double], _ previous: [Double], _ dState: inout [Double]) -> Void)
        -> [Float] {
        let nn = shape.headStateCount
        var dInitial = [Float](repeating: 0, count: shape.stateCount)
        for b in 0..<shape.batch {
            for h in 0..<shape.heads {
                let bh = b * shape.heads + h
                var ds = (0..<nn).map { e in dFinalState.map { Double($0[bh * nn + e]) } ?? 0 }
                for t in stride(from: shape.length - 1, through: 0, by: -1) {
                    step(shape.offset(batch: b, token: t, head: h), states[bh][t + 1], states[bh][t], &ds)
                }
                for e in 0..<nn { dInitial[bh * nn + e] = Float(ds[e]) }
            }
        }
        return dInitial
    }
}
