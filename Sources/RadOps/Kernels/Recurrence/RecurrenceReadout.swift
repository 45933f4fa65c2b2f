/// What the two Double references share, given every state S_t of every (batch, head) — states[bh][t + 1]
/// = S_t, states[bh][0] the initial state: the forward read-out and the backward walk through time.
enum RecurrenceReadout {
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
