import Testing
import RadOps

@Suite struct NormTests {
    @Test func rmsNormForward() {
        var rng = TestRNG(seed: 21)
        let x = rng.tensor([40, 24], -3, 3), w = rng.tensor([24])
        let y = rmsNorm(x, weight: w, eps: 1e-6)
        #expect(maxAbsDiff(y.toArray(), NormKernels.referenceRMSNorm(x.toArray(), weight: w.toArray(), eps: 1e-6)) < 2e-6)
    }

    @Test func rmsNormGradients() {
        var rng = TestRNG(seed: 22)
        let x = rng.tensor([2, 3, 6]), w = rng.tensor([6])
        expectGradientsMatch([x, w]) { rmsNorm($0[0], weight: $0[1], eps: 1e-5) }
    }

    @Test func layerNormForwardAndGradients() {
        var rng = TestRNG(seed: 23)
        let x = rng.tensor([40, 12], -2, 3), w = rng.tensor([12]), b = rng.tensor([12])
        let y = layerNorm(x, weight: w, bias: b, eps: 1e-5)
        #expect(maxAbsDiff(y.toArray(), NormKernels.referenceGroupNorm(x.toArray(), weight: w.toArray(), bias: b.toArray(), c: 12, groups: 1, eps: 1e-5)) < 3e-6)
        let y0 = layerNorm(x, weight: nil, bias: nil, eps: 1e-5)
        #expect(maxAbsDiff(y0.toArray(), NormKernels.referenceGroupNorm(x.toArray(), weight: nil, bias: nil, c: 12, groups: 1, eps: 1e-5)) < 3e-6)
        let xs = rng.tensor([3, 5]), ws = rng.tensor([5]), bs = rng.tensor([5])
        expectGradientsMatch([xs, ws, bs]) { layerNorm($0[0], weight: $0[1], bias: $0[2], eps: 1e-5) }
        expectGradientsMatch([xs]) { layerNorm($0[0], weight: nil, bias: nil, eps: 1e-5) }
    }

    @Test func groupNormForwardAndGradients() {
        var rng = TestRNG(seed: 24)
        let x = rng.tensor([2, 20, 12]), w = rng.tensor([12]), b = rng.tensor([12])
        let y = groupNorm(x, groups: 3, weight: w, bias: b, eps: 4e-5)
        #expect(y.shape == x.shape)
        #expect(maxAbsDiff(y.toArray(), NormKernels.referenceGroupNorm(x.toArray(), weight: w.toArray(), bias: b.toArray(), c: 12, groups: 3, eps: 4e-5)) < 3e-6)
        let xs = rng.tensor([3, 8]), ws = rng.tensor([8]), bs = rng.tensor([8])
        expectGradientsMatch([xs, ws, bs]) { groupNorm($0[0], groups: 2, weight: $0[1], bias: $0[2], eps: 8e-5) }
    }
}
