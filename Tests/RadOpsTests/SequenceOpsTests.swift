import Testing
import RadOps

/// The students' shape plumbing: forward semantics and finite-difference gradients.
@Suite struct SequenceOpsTests {
    @Test func shiftTokensForwardAndGradient() {
        var rng = TestRNG(seed: 21)
        let x = rng.tensor([2, 3, 4]), previous = rng.tensor([2, 4])
        let y = shiftTokens(x, previous: previous).toArray(), xs = x.toArray(), ps = previous.toArray()
        #expect(Array(y[0..<4]) == Array(ps[0..<4]))          // row 0, t = 0 takes the carried state
        #expect(Array(y[4..<8]) == Array(xs[0..<4]))          // t = 1 takes x_0
        #expect(Array(y[12..<16]) == Array(ps[4..<8]))        // row 1, t = 0
        expectGradientsMatch([x]) { shiftTokens($0[0]) }
    }

    @Test func repeatHeadsForwardAndGradient() {
        var rng = TestRNG(seed: 22)
        let x = rng.tensor([2, 3, 2, 4])                       // KVH = 2, N = 4
        let y = repeatHeads(x, groups: 3)
        #expect(y.shape == [2, 3, 6, 4])
        let xs = x.toArray(), ys = y.toArray()
        for h in 0..<6 { #expect(Array(ys[(h * 4)..<(h * 4 + 4)]) == Array(xs[((h / 3) * 4)..<((h / 3) * 4 + 4)])) }
        expectGradientsMatch([x]) { repeatHeads($0[0], groups: 3) }
    }

    @Test func normalizePerHeadForwardAndGradient() {
        var rng = TestRNG(seed: 23)
        let x = rng.tensor([3, 8])
        let y = normalizePerHead(x, headDim: 4).toArray()
        for g in 0..<6 {
            let norm = (0..<4).reduce(Float(0)) { $0 + y[g * 4 + $1] * y[g * 4 + $1] }.squareRoot()
            #expect(abs(norm - 1) < 1e-5)
        }
        expectGradientsMatch([x], eps: 1e-3) { normalizePerHead($0[0], headDim: 4) }
    }

    @Test func clampMinForwardAndGradient() {
        // Values away from the kink, so central differences are exact.
        let x = Tensor(shape: [6], values: [-7, -6, -4.5, -2, 0.5, 3])
        #expect(clampMin(x, -5).toArray() == [-5, -5, -4.5, -2, 0.5, 3])
        expectGradientsMatch([x]) { clampMin($0[0], -5) }
    }

    @Test func swapLeadingAxesForwardAndGradient() {
        var rng = TestRNG(seed: 24)
        let x = rng.tensor([2, 3, 4])
        let y = swapLeadingAxes(x)
        #expect(y.shape == [3, 2, 4])
        #expect(Array(y.toArray()[4..<8]) == Array(x.toArray()[12..<16]))   // y[0][1] = x[1][0]
        expectGradientsMatch([x]) { swapLeadingAxes($0[0]) }
    }

    @Test func viewsRouteGradientsToTheirBase() {
        var rng = TestRNG(seed: 25)
        let x = rng.tensor([4, 3])
        expectGradientsMatch([x]) { mul($0[0].reshaped([2, 6]), $0[0].reshaped([2, 6])) }
        expectGradientsMatch([x]) { scale($0[0].rows(1..<3), 2) }
    }
}
