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

    /// Stores the last token of each row of x [B, T, C] as the shift state.
    func rememberLastTokens(_ x: Tensor) {
        guard let shift else { return }
        let b = x.shape[0], t = x.shape[1], c = x.shape[2]
        for bi in 0..<b { (shift.data + bi * c).update(from: x.data + (bi * t + t - 1) * c, count: c) }
    }
}
