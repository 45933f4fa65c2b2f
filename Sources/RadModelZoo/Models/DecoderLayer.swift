import RadOps

/// One pre-norm decoder layer: `x + mixer(norm_in(x))`, then `x + mlp(norm_post(x))`.
public final class DecoderLayer {
    public let inputNorm: Tensor
    public let postNorm: Tensor
    public var mixer: SequenceMixer
    public let mlp: SwiGLUMLP
    public let eps: Float

    public init(inputNorm: Tensor, postNorm: Tensor, mixer: SequenceMixer, mlp: SwiGLUMLP, eps: Float) {
        self.inputNorm = inputNorm; self.postNorm = postNorm; self.mixer = mixer; self.mlp = mlp; self.eps = eps
    }

    public var parameters: [Tensor] { [inputNorm] + mixer.parameters + [postNorm] + mlp.parameters }

    /// The residual stream after this layer.
    public func callAsFunction(_ x: Tensor, context: ForwardContext, state: MixerState?) -> Tensor {
        let mixed = mixer.forward(rmsNorm(x, weight: inputNorm, eps: eps), context: context, state: state)
        return finishLayer(add(x, mixed))
    }

    /// The MLP half of the layer, given the residual stream after the mixer.
    public func finishLayer(_ h: Tensor) -> Tensor {
        add(h, mlp(rmsNorm(h, weight: postNorm, eps: eps)))
    }
}
