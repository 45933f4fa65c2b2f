import Testing
import Foundation
import RadOps

@Suite struct RopeAttentionTests {
    @Test(arguments: [Float(10000), 1_000_000])
    func ropeMatchesReference(_ theta: Float) {
        var rng = TestRNG(seed: 31)
        let x = rng.tensor([2, 5, 3, 8])
        let y = rope(x, positionOffset: 7, theta: theta)
        let ref = RopeKernels.reference(x.toArray(), positions: Array(7..<12), theta: theta, batch: 2, heads: 3, n: 8)
        #expect(maxAbsDiff(y.toArray(), ref) < 2e-6)
        let explicit = rope(x, positions: Array(7..<12), theta: theta)
        #expect(explicit.toArray() == y.toArray())
    }

    @Test func ropeGradients() {
        var rng = TestRNG(seed: 32)
        let x = rng.tensor([2, 3, 2, 4])
        expectGradientsMatch([x]) { rope($0[0], positionOffset: 3, theta: 10000) }
    }

    @Test(arguments: [(4, 2), (4, 4), (2, 1)])
    func attentionMatchesReference(_ heads: Int, _ kvHeads: Int) {
        var rng = TestRNG(seed: 33)
        let (b, t, n) = (2, 9, 4)
        let q = rng.tensor([b, t, heads, n]), k = rng.tensor([b, t, kvHeads, n]), v = rng.tensor([b, t, kvHeads, n])
        let out = causalAttention(q: q, k: k, v: v, scale: 0.5)
        let ref = AttentionKernels.reference(q: q.toArray(), k: k.toArray(), v: v.toArray(),
                                             shape: AttentionShape(batch: b, t: t, heads: heads, kvHeads: kvHeads, n: n), scale: 0.5)
        #expect(maxAbsDiff(out.toArray(), ref) < 2e-6)
    }

    @Test func attentionGradients() {
        var rng = TestRNG(seed: 34)
        let q = rng.tensor([2, 4, 4, 3]), k = rng.tensor([2, 4, 2, 3]), v = rng.tensor([2, 4, 2, 3])
        expectGradientsMatch([q, k, v]) { causalAttention(q: $0[0], k: $0[1], v: $0[2], scale: 0.7) }
    }

    @Test func cachedDecodingMatchesFullAttention() {
        var rng = TestRNG(seed: 35)
        let (t, h, kvh, n) = (6, 4, 2, 4)
        let q = rng.tensor([1, t, h, n]), k = rng.tensor([1, t, kvh, n]), v = rng.tensor([1, t, kvh, n])
        let full = causalAttention(q: q, k: k, v: v, scale: 0.5).toArray()
        let cache = KVCache(maxTokens: 8, kvHeads: kvh, headDim: n)
        var decoded: [Float] = []
        // A prompt of 2 tokens, then one token at a time.
        for (lo, hi) in [(0, 2), (2, 3), (3, 4), (4, 5), (5, 6)] {
            cache.append(k: k.reshaped([t, kvh, n]).rows(lo..<hi), v: v.reshaped([t, kvh, n]).rows(lo..<hi))
            decoded += attentionStep(q: q.reshaped([t, h, n]).rows(lo..<hi), cache: cache, scale: 0.5).toArray()
        }
        #expect(cache.length == 6)
        #expect(maxAbsDiff(decoded, full) < 1e-6)
    }
}
