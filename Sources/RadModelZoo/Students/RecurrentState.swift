import RadOps

/// Inference state of a recurrent mixer: the per-head matrix state [B, H, N, N] and, for mixers with
/// token shift, the last normalised input of every row [B, C].
public final class RecurrentState: MixerState {
    public var matrix: Tensor
    public var shift: Tensor?
    public var position: Int = 0

    public init(batch: Int, heads: Int, headDim: Int, shiftWidth: Int?) {
        matrix = Tensor(zeros: [batch, heads, headDim, headDim])
        shift = shiftWidth.map { Tensor(zeros: [batch, $0]) }
    }

    public func replicated(row: Int, batch: Int, capacity: Int) -> MixerState {
        let heads = matrix.shape[1], n = matrix.shape[2]
        let copy = RecurrentState(batch: batch, heads: heads, headDim: n, shiftWidth: shift?.shape[1])
        let per = heads * n * n
        for b in 0..<batch { (copy.matrix.data + b * per).update(from: matrix.data + row * per, count: per) }
        if let shift, let target = copy.shift {
            let c = shift.shape[1]
            for b in 0..<batch { (target.data + b * c).update(from: shift.data + row * c, count: c) }
        }
        copy.position = position
        return copy
    }

    /// Stores the last token of each row of x [B, T, C] as the shift state.
    func rememberLastTokens(_ x: Tensor) {
        guard let shift else { return }
        let b = x.shape[0], t = x.shape[1], c = x.shape[2]
        for bi in 0..<b { (shift.data + bi * c).update(from: x.data + (bi * t + t - 1) * c, count: c) }
    }
}
