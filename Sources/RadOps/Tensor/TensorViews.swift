/// Views that share storage. On a tape they record a pullback that routes the view's gradient back
/// into the base tensor, so they can be used anywhere inside a differentiated computation.
extension Tensor {
    /// The same elements under a new shape (one dimension may be -1).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var dims = newShape
        if let hole = dims.firstIndex(of: -1) {
            let known = dims.enumerated().filter { $0.offset != hole }.map(\.element).reduce(1, *)
            precondition(known > 0 && count % known == 0, "cannot reshape \(shape) to \(newShape)")
            dims[hole] = count / known
        }
        precondition(dims.reduce(1, *) == count, "cannot reshape \(shape) to \(newShape)")
        let view = Tensor(storage: storage, offset: offset, shape: dims)
        if let tape = Tape.active(for: self) {
            view.requiresGrad = true
            tape.record(view) { [self] g in self.accumulateGrad(g.data) }
        }
        return view
    }

    /// Rows `range` of the first dimension, as a view.
    public func rows(_ range: Range<Int>) -> Tensor {
        precondition(rank >= 1 && range.lowerBound >= 0 && range.upperBound <= shape[0], "rows \(range) of \(shape)")
        let inner = shape.dropFirst().reduce(1, *)
        let view = Tensor(storage: storage, offset: offset + range.lowerBound * inner,
                          shape: [range.count] + shape.dropFirst())
        if let tape = Tape.active(for: self) {
            view.requiresGrad = true
            tape.record(view) { [self] g in
                let dst = self.ensureGrad().data + range.lowerBound * inner
                let src = g.data
                for i in 0..<g.count { dst[i] += src[i] }
            }
        }
        return view
    }
}
