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
        if let cache = state as? AttentionCacheState {
            attended = cache.appendAndAttend(q: q, k: k, v: v, scale: scale)
        } else {
            attended = causalAttention(q: q, k: k, v: v, scale: scale)
        }
        return linear(attended.reshaped([b, t, heads * headDim]), weight: oProj)
    }

    public func makeState(batch: Int, capacity: Int) -> MixerState {
        AttentionCacheState(batch: batch, capacity: capacity, kvHeads: kvHeads, headDim: headDim, heads: heads)
    }
}

/// Keys and values of every consumed token: one RadOps `KVCache` per sequence of the batch.
/// Inference only (no tape).
public final class AttentionCacheState: MixerState {
    public let caches: [KVCache]
    public let heads: Int

    public init(batch: Int, capacity: Int, kvHeads: Int, headDim: Int, heads: Int) {
        caches = (0..<batch).map { _ in KVCache(maxTokens: capacity, kvHeads: kvHeads, headDim: headDim) }
        self.heads = heads
    }

    public var position: Int { caches.first?.length ?? 0 }

    public func replicated(row: Int, batch: Int, capacity: Int) -> MixerState {
        let source = caches[row]
        let copy = AttentionCacheState(batch: batch, capacity: capacity, kvHeads: source.k.shape[1],
                                       headDim: source.k.shape[2], heads: heads)
        if source.length > 0 {
            for cache in copy.caches { cache.append(k: source.k.rows(0..<source.length), v: source.v.rows(0..<source.length)) }
        }
        return copy
    }

    /// Appends the chunk's k, v ([B, T, KVH, N]) and returns attention of q ([B, T, H, N]) over each
    /// sequence's whole cache, causally.
    func appendAndAttend(q: Tensor, k: Tensor, v: Tensor, scale: Float) -> Tensor {
        let b = q.shape[0]
        let out = Tensor(zeros: q.shape)
        let rowCount = q.count / b
        for (i, cache) in caches.enumerated() {
            precondition(i < b, "state for \(caches.count) sequences used with a batch of \(b)")
            cache.append(k: k.rows(i..<(i + 1)), v: v.rows(i..<(i + 1)))
            let attended = attentionStep(q: q.rows(i..<(i + 1)), cache: cache, scale: scale)
            (out.data + i * rowCount).update(from: attended.data, count: rowCount)
        }
        return out
    }
}
