/// Causal softmax attention with grouped-query heads (GQA), as HF `eager_attention_forward` with
/// `repeat_kv`: q [B, T, H, N], k and v [B, T, KVH, N] (H a multiple of KVH; query head h reads kv head
/// h / (H / KVH)), scores `scale · q·k`, causal mask, fp32 softmax; result [B, T, H, N].
/// Blocked (FlashAttention-2 order, `AttentionKernels.causalForward`): when recording, only the log-sum-exp
/// of each score row [B, H, T] is kept beside the output, and the backward recomputes the probabilities
/// block by block.
public func causalAttention(q: Tensor, k: Tensor, v: Tensor, scale: Float) -> Tensor {
    precondition(q.rank == 4 && k.rank == 4 && v.rank == 4, "causalAttention: q, k, v must be [B, T, heads, N]; got \(q.shape), \(k.shape), \(v.shape)")
    precondition(k.shape == v.shape, "causalAttention: k \(k.shape) and v \(v.shape) differ")
    let (b, t, h, n) = (q.shape[0], q.shape[1], q.shape[2], q.shape[3]), kvh = k.shape[2]
    precondition(k.shape[0] == b && k.shape[1] == t && k.shape[3] == n && kvh > 0 && h % kvh == 0,
                 "causalAttention: k/v \(k.shape) do not fit q \(q.shape) (need same B, T, N and H a multiple of KVH)")
    let shape = AttentionShape(batch: b, t: t, heads: h, kvHeads: kvh, n: n)
    let out = Tensor(zeros: q.shape)
    let tape = Tape.active(for: q, k, v)
    let lse = tape == nil ? nil : Tensor(zeros: [b, h, t])
    AttentionKernels.causalForward(q: q.data, k: k.data, v: v.data, out: out.data, lse: lse?.data, shape: shape, scale: scale)
    if let tape, let lse {
        // The backward reads `out` (D = rowsum(dO ⊙ O)); ops never write into their inputs, so it is intact.
        tape.record(out) { g in
            AttentionKernels.causalBackward(q: q.data, k: k.data, v: v.data, out: out.data, lse: lse.data, dOut: g.data,
                                            dq: q.requiresGrad ? q.ensureGrad().data : nil,
                                            dk: k.requiresGrad ? k.ensureGrad().data : nil,
                                            dv: v.requiresGrad ? v.ensureGrad().data : nil, shape: shape, scale: scale)
        }
    }
    return out
}

/// Key/value cache of one attention layer for decoding: k and v [maxT, KVH, N]; rows `0 ..< length`
/// are filled. Typical use per layer and step: `cache.append(k: kNew, v: vNew)` (already RoPE'd,
/// [tn, KVH, N] or [1, tn, KVH, N]) and then `attentionStep(q: qNew, cache: cache, scale:)`.
public final class KVCache {
    public let k: Tensor
    public let v: Tensor
    public private(set) var length = 0
    public var capacity: Int { k.shape[0] }
    /// Positions of the tokens appended by the last `append` start here.
    public private(set) var lastStart = 0

    public init(maxTokens: Int, kvHeads: Int, headDim: Int) {
        k = Tensor(zeros: [maxTokens, kvHeads, headDim])
        v = Tensor(zeros: [maxTokens, kvHeads, headDim])
    }

    /// Appends `tn` tokens' keys and values (count tn·KVH·N each).
    public func append(k newK: Tensor, v newV: Tensor) {
        let row = k.shape[1] * k.shape[2]
        precondition(newK.count == newV.count && newK.count % row == 0 && newK.lastDim == k.shape[2],
                     "KVCache.append: k \(newK.shape) / v \(newV.shape) do not fit a cache of [\(k.shape[1]), \(k.shape[2])] rows")
        let tn = newK.count / row
        precondition(length + tn <= capacity, "KVCache.append: \(length) + \(tn) tokens exceed the capacity \(capacity)")
        (k.data + length * row).update(from: newK.data, count: newK.count)
        (v.data + length * row).update(from: newV.data, count: newV.count)
        lastStart = length
        length += tn
    }

    /// Forgets all tokens (the buffers are reused).
    public func reset() { length = 0; lastStart = 0 }
}

/// Decoding attention for the `tn` tokens just appended to `cache` (positions `cache.lastStart ..<
/// cache.length`): q [tn, H, N] (or [1, tn, H, N]); token i attends to cache rows 0...lastStart+i.
/// Returns [tn, H, N]. Records nothing (the teacher and generation do not train).
public func attentionStep(q: Tensor, cache: KVCache, scale: Float) -> Tensor {
    let kvh = cache.k.shape[1], n = cache.k.shape[2]
    let tn = cache.length - cache.lastStart
    precondition(tn > 0, "attentionStep: no new tokens in the cache (call cache.append first)")
    precondition(q.lastDim == n && q.count % (n * tn) == 0 && (q.count / (n * tn)) % kvh == 0,
                 "attentionStep: q \(q.shape) does not fit \(tn) new tokens of a cache with \(kvh) kv heads of \(n)")
    let h = q.count / (n * tn)
    let out = Tensor(zeros: [tn, h, n])
    AttentionKernels.step(q: q.data, kCache: cache.k.data, vCache: cache.v.data, out: out.data, tn: tn,
                          start: cache.lastStart, heads: h, kvHeads: kvh, n: n, scale: scale)
    return out
}
