/// Row lookup: `ids` [n] into `table` [V, C] gives [n, C]. Backward scatter-adds each output row's
/// gradient into row `ids[i]` of the table's gradient (repeated ids accumulate).
public func embedding(_ ids: [Int32], table: Tensor) -> Tensor {
    precondition(table.rank == 2, "embedding table must be [vocab, dim], got \(table.shape)\(table.name.map { " (\($0))" } ?? "")")
    let vocab = table.shape[0], c = table.shape[1]
    for (i, id) in ids.enumerated() {
        precondition(id >= 0 && Int(id) < vocab,
                     "embedding: token id \(id) at position \(i) is outside the vocabulary 0..<\(vocab)\(table.name.map { " of \($0)" } ?? "")")
    }
    let out = Tensor(zeros: [ids.count, c])
    let tp = table.data, op = out.data
    for (i, id) in ids.enumerated() { (op + i * c).update(from: tp + Int(id) * c, count: c) }
    if let tape = Tape.active(for: table) {
        tape.record(out) { g in
            let gt = table.ensureGrad().data, gp = g.data
            for (i, id) in ids.enumerated() {
                let dst = gt + Int(id) * c, src = gp + i * c
                for j in 0..<c { dst[j] += src[j] }
            }
        }
    }
    return out
}
