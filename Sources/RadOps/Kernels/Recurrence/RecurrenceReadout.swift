/// What the two Double references share: given every state S_t of every (batch, head) — states[bh][t + 1]
/// = S_t, states[bh][0] the initial state — each token's output is read from its own state by
/// `read(offset, S_t, &output)` and the last state becomes the final state.
enum RecurrenceReadout {
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
}
