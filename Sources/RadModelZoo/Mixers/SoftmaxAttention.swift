import RadOps

/// The teacher's causal softmax attention (Llama / Qwen2): q/k/v projections (optional biases),
/// RoPE, GQA, output projection. Also used for hybrid students' kept softmax layers.
public final class SoftmaxAttention: SequenceMixer {
    public let qProj: Tensor, kProj: Tensor, vProj: Tensor, oProj: Tensor
    public let qBias: Tensor?, kBias: Tensor?, vBias: Tensor?
    public let heads: Int, kvHeads: Int, headDim: Int
    public let ropeTheta: Float

    public init(qProj: Tensor, kProj: Tensor, vProj: Tensor, oProj: Tensor,
                qBias: Tensor?, kBias: Tensor?, vBias: Tensor?,
                heads: Int, kvHeads: Int, headDim: Int, ropeTheta: Float) {
        self.qProj = qProj; self.kProj = kProj; self.vProj = vProj; self.oProj = oProj
        self.qBias = qBias; self.kBias = kBias; self.vBias = vBias
        self.heads = heads; self.kvHeads = kvHeads; self.headDim = headDim; self.ropeTheta = ropeTheta
    }

    public var parameters: [Tensor] {
        [qProj, qBias, kProj, kBias, vProj, vBias, oProj].compactMap { $0 }
    }

    public func forward(_ x: Tensor, context: ForwardContext, state: MixerState?) -> Tensor {
        let (b, t) = (context.batch, context.seqLen)
        var q = linear(x, weight: qProj, bias: qBias).reshaped([b, t, heads, headDim])
        var k = linear(x, weight: kProj, bias: kBias).reshaped([b, t, kvHeads, headDim])
        let v = linear(x, weight: vProj, bias: vBias).reshaped([b, t, kvHeads, headDim])
        q = rope(q, positionOffset: context.positionOffset, theta: ropeTheta)
        k = rope(k, positionOffset: context.positionOffset, theta: ropeTheta)
        let scale = 1 / Float(headDim).squareRoot()
        let attended: Tensor
        if let cache = state as? KVCache {
            attended = cache.appendAndAttend(q: q, k: k, v: v, scale: scale)
        } else {
            attended = causalAttention(q: q, k: k, v: v, scale: scale)
        }
        return linear(attended.reshaped([b, t, heads * headDim]), weight: oProj)
    }

    public func makeState(batch: Int, capacity: Int) -> MixerState {
        KVCache(batch: batch, capacity: capacity, kvHeads: kvHeads, headDim: headDim, heads: heads)
    }
}

/// Keys and values of every consumed token, [B, capacity, KVH, N] each. Inference only (no tape).
public final class KVCache: MixerState {
    public let keys: Tensor, values: Tensor
    public let capacity: Int, kvHeads: Int, headDim: Int, heads: Int
    public private(set) var position: Int = 0

    public init(batch: Int, capacity: Int, kvHeads: Int, headDim: Int, heads: Int) {
        keys = Tensor(zeros: [batch, capacity, kvHeads, headDim])
        values = Tensor(zeros: [batch, capacity, kvHeads, headDim])
        self.capacity = capacity; self.kvHeads = kvHeads; self.headDim = headDim; self.heads = heads
    }

    /// Appends the chunk's k, v ([B, T, KVH, N]) and returns attention of q ([B, T, H, N]) over the
    /// whole cache, causally: query t sees cached positions 0 ... position + t.
    func appendAndAttend(q: Tensor, k: Tensor, v: Tensor, scale: Float) -> Tensor {
        let b = q.shape[0], t = q.shape[1]
        precondition(position + t <= capacity, "KV cache full: \(position) + \(t) tokens > capacity \(capacity)")
        let row = kvHeads * headDim
        for bi in 0..<b {
            (keys.data + (bi * capacity + position) * row).update(from: k.data + bi * t * row, count: t * row)
            (values.data + (bi * capacity + position) * row).update(from: v.data + bi * t * row, count: t * row)
        }
        let out = Tensor(zeros: q.shape)
        CachedAttentionKernel.forward(q: q.data, keys: keys.data, values: values.data, out: out.data,
                                      batch: b, queries: t, start: position, capacity: capacity,
                                      heads: heads, kvHeads: kvHeads, headDim: headDim, scale: scale)
        position += t
        return out
    }
}
