import Foundation
import Testing
import RadOps

/// RAD-GDN recurrence (gated delta rule): kernel vs Double reference vs inference step vs FLA fixture,
/// gradients; and the FLA-style `l2Normalize` it is fed with.
@Suite struct RecurrenceGatedDeltaTests {
    /// The shared edge cases plus head sizes that reach the kernel's 32-column blocks (40 = 32 + 8,
    /// 37 = 32 + a scalar tail).
    static let shapes = RecurrenceTestShapes.edgeCases + [RecurrenceShape(batch: 1, length: 5, heads: 2, headSize: 40),
                                                           RecurrenceShape(batch: 2, length: 3, heads: 1, headSize: 37)]

    func run(_ x: GatedDeltaInputs, _ s0: Tensor?, chunk: Int = GatedDeltaRecurrence.defaultChunk)
        -> (output: Tensor, finalState: Tensor) {
        gatedDeltaRecurrence(q: x.q, k: x.k, v: x.v, logDecay: x.g, beta: x.beta, scale: x.scale,
                             initialState: s0, chunk: chunk)
    }

    @Test(arguments: shapes)
    func kernelMatchesReference(_ shape: RecurrenceShape) {
        let x = GatedDeltaInputs(shape, seed: 51)
        defer { withExtendedLifetime(x) {} }   // kernels read raw pointers: keep the tensors alive
        for s0 in [nil, x.s0] {
            let (out, final) = run(x, s0)
            let ref = GatedDeltaRecurrenceReference.forward(q: x.q.data, k: x.k.data, v: x.v.data, logDecay: x.g.data,
                                                            beta: x.beta.data, scale: x.scale,
                                                            initialState: s0.map { UnsafePointer($0.data) }, shape: shape)
            #expect(maxScaledDiff(out.toArray(), ref.output) < 1e-5)
            #expect(maxScaledDiff(final.toArray(), ref.finalState) < 1e-5)
        }
    }

    @Test func moreThreadsThanHeads() {
        let shape = RecurrenceShape(batch: 1, length: 7, heads: 3, headSize: 8)
        let x = GatedDeltaInputs(shape, seed: 52)
        defer { withExtendedLifetime(x) {} }   // kernels read raw pointers: keep the tensors alive
        let before = Parallel.threadCount
        Parallel.setThreadCount(8)
        defer { Parallel.setThreadCount(before) }
        let (out, final) = run(x, x.s0)
        let ref = GatedDeltaRecurrenceReference.forward(q: x.q.data, k: x.k.data, v: x.v.data, logDecay: x.g.data,
                                                        beta: x.beta.data, scale: x.scale, initialState: x.s0.data,
                                                        shape: shape)
        #expect(maxScaledDiff(out.toArray(), ref.output) < 1e-5)
        #expect(maxScaledDiff(final.toArray(), ref.finalState) < 1e-5)
    }

    /// One-token decoding steps on the state equal one call over the sequence (N = 20: lanes and a tail).
    @Test(arguments: [16, 20, 40])
    func stepMatchesKernel(_ n: Int) {
        let shape = RecurrenceShape(batch: 2, length: 11, heads: 3, headSize: n)
        let x = GatedDeltaInputs(shape, seed: 53)
        let (out, final) = run(x, x.s0)
        let state = x.s0.copy()
        var maxDiff: Float = 0
        for t in 0..<shape.length {
            let tok = t..<t + 1
            let y = gatedDeltaStep(q: tokens(x.q, tok), k: tokens(x.k, tok), v: tokens(x.v, tok),
                                   logDecay: headTokens(x.g, tok), beta: headTokens(x.beta, tok), scale: x.scale,
                                   state: state)
            maxDiff = max(maxDiff, maxScaledDiff(y.toArray(), tokens(out, tok).toArray()))
        }
        #expect(maxDiff < 1e-6)
        #expect(maxScaledDiff(state.toArray(), final.toArray()) < 1e-6)
    }

    @Test func chunkedCallsWithCarriedStateEqualOne() {
        let shape = RecurrenceShape(batch: 2, length: 13, heads: 3, headSize: 8)
        let x = GatedDeltaInputs(shape, seed: 54)
        let (whole, finalWhole) = run(x, x.s0)
        var s = x.s0
        for range in [0..<4, 4..<5, 5..<13] {
            let part = gatedDeltaRecurrence(q: tokens(x.q, range), k: tokens(x.k, range), v: tokens(x.v, range),
                                            logDecay: headTokens(x.g, range), beta: headTokens(x.beta, range),
                                            scale: x.scale, initialState: s)
            #expect(maxScaledDiff(part.output.toArray(), tokens(whole, range).toArray()) < 1e-6, "\(range)")
            s = part.finalState
        }
        #expect(maxScaledDiff(s.toArray(), finalWhole.toArray()) < 1e-6)
    }

    /// The checkpointed backward against the reference's direct chain rule for several checkpoint
    /// intervals (1, one not dividing T, longer than T), with an upstream final-state gradient, at head
    /// sizes with SIMD lanes and a tail (37: the forward re-run's 32-column blocks too).
    @Test(arguments: [(1, 12), (5, 12), (32, 12), (200, 12), (5, 37)])
    func backwardMatchesReference(_ chunk: Int, _ n: Int) {
        let shape = RecurrenceShape(batch: 2, length: n > 12 ? 19 : 67, heads: 2, headSize: n)
        let x = GatedDeltaInputs(shape, seed: 55)
        var rng = TestRNG(seed: 56)
        let dOut = rng.tensor(x.q.shape), dFinal = rng.tensor(x.s0.shape)
        let out = Tensor(zeros: x.q.shape), final = Tensor(zeros: x.s0.shape)
        let checkpoints = Tensor(zeros: [shape.checkpointElements(chunk: chunk)])
        GatedDeltaRecurrence.forward(q: x.q.data, k: x.k.data, v: x.v.data, logDecay: x.g.data, beta: x.beta.data,
                                     scale: x.scale, initialState: x.s0.data, output: out.data, finalState: final.data,
                                     checkpoints: checkpoints.data, chunk: chunk, shape: shape)
        let grads = (0..<3).map { _ in Tensor(zeros: x.q.shape) } + (0..<2).map { _ in Tensor(zeros: x.g.shape) }
        let dS0 = Tensor(zeros: x.s0.shape)
        defer { withExtendedLifetime((x, dOut, dFinal, out, final, checkpoints, grads, dS0)) {} }   // kernels read raw pointers: keep the tensors alive
        GatedDeltaRecurrence.backward(q: x.q.data, k: x.k.data, v: x.v.data, logDecay: x.g.data, beta: x.beta.data,
                                      scale: x.scale, checkpoints: checkpoints.data, chunk: chunk,
                                      dOutput: dOut.data, dFinalState: dFinal.data,
                                      dq: grads[0].data, dk: grads[1].data, dv: grads[2].data,
                                      dLogDecay: grads[3].data, dBeta: grads[4].data, dInitialState: dS0.data,
                                      shape: shape)
        let ref = GatedDeltaRecurrenceReference.backward(q: x.q.data, k: x.k.data, v: x.v.data, logDecay: x.g.data,
                                                         beta: x.beta.data, scale: x.scale, initialState: x.s0.data,
                                                         dOutput: dOut.data, dFinalState: dFinal.data, shape: shape)
        let expected = [ref.dq, ref.dk, ref.dv, ref.dLogDecay, ref.dBeta]
        for (i, name) in ["dq", "dk", "dv", "dLogDecay", "dBeta"].enumerated() {
            #expect(maxScaledDiff(grads[i].toArray(), expected[i]) < 1e-5, "\(name)")
        }
        #expect(maxScaledDiff(dS0.toArray(), ref.dInitialState) < 1e-5)
    }

    @Test func gradientsOfOutput() {
        let x = GatedDeltaInputs(RecurrenceShape(batch: 2, length: 5, heads: 2, headSize: 3), seed: 57)
        expectGradientsMatch(x.all) { t in
            gatedDeltaRecurrence(q: t[0], k: t[1], v: t[2], logDecay: t[3], beta: t[4], scale: 0.7,
                                 initialState: t[5], chunk: 2).output
        }
    }

    @Test func gradientsOfFinalState() {
        let x = GatedDeltaInputs(RecurrenceShape(batch: 1, length: 4, heads: 2, headSize: 3), seed: 58)
        expectGradientsMatch(x.all) { t in
            gatedDeltaRecurrence(q: t[0], k: t[1], v: t[2], logDecay: t[3], beta: t[4], scale: 0.7,
                                 initialState: t[5], chunk: 3).finalState
        }
    }

    /// Gradients flow through a state carried from one call to the next (the first output unused).
    @Test func gradientsThroughCarriedState() {
        let shape = RecurrenceShape(batch: 1, length: 3, heads: 2, headSize: 3)
        let x1 = GatedDeltaInputs(shape, seed: 59), x2 = GatedDeltaInputs(shape, seed: 60)
        expectGradientsMatch(x1.all + Array(x2.all.prefix(5))) { t in
            let first = gatedDeltaRecurrence(q: t[0], k: t[1], v: t[2], logDecay: t[3], beta: t[4], scale: 0.5,
                                             initialState: t[5])
            return gatedDeltaRecurrence(q: t[6], k: t[7], v: t[8], logDecay: t[9], beta: t[10], scale: 0.5,
                                        initialState: first.finalState).output
        }
    }

    /// The mixer's composition: raw q, k through `l2Normalize` into the recurrence, differentiated end to end.
    @Test func gradientsThroughL2NormalizedKeys() {
        let shape = RecurrenceShape(batch: 1, length: 4, heads: 2, headSize: 4)
        let x = GatedDeltaInputs(shape, seed: 61)
        var rng = TestRNG(seed: 62)
        let rawQ = rng.tensor(x.q.shape), rawK = rng.tensor(x.k.shape)
        expectGradientsMatch([rawQ, rawK, x.v, x.g, x.beta]) { t in
            gatedDeltaRecurrence(q: l2Normalize(t[0]), k: l2Normalize(t[1]), v: t[2], logDecay: t[3], beta: t[4],
                                 scale: 0.5).output
        }
    }

    /// FLA 0.6.0 `naive_recurrent_gated_delta_rule` (scripts/fixtures/make_gated_delta_fixtures.py).
    @Test func matchesFLAFixture() throws {
        let f = try RecurrenceFixture.load("gated_delta.json")
        let shape = f.recurrenceShape
        let q = try f.tensor("q"), k = try f.tensor("k"), v = try f.tensor("v")
        let g = try f.tensor("logDecay"), beta = try f.tensor("beta")
        let s0 = try f.tensor("initialState"), dOut = try f.tensor("dOutput"), dFinal = try f.tensor("dFinalState")
        let scale = 1 / Float(shape.headSize).squareRoot()
        let out = Tensor(zeros: [shape.sequenceCount]), final = Tensor(zeros: [shape.stateCount])
        let chunk = 4
        let checkpoints = Tensor(zeros: [shape.checkpointElements(chunk: chunk)])
        GatedDeltaRecurrence.forward(q: q.data, k: k.data, v: v.data, logDecay: g.data, beta: beta.data, scale: scale,
                                     initialState: s0.data, output: out.data, finalState: final.data,
                                     checkpoints: checkpoints.data, chunk: chunk, shape: shape)
        #expect(maxScaledDiff(out.toArray(), try f.tensor("output").toArray()) < 1e-4)
        #expect(maxScaledDiff(final.toArray(), try f.tensor("finalState").toArray()) < 1e-4)

        let perHead = shape.sequenceCount / shape.headSize
        let grads = (0..<3).map { _ in Tensor(zeros: [shape.sequenceCount]) } + (0..<2).map { _ in Tensor(zeros: [perHead]) }
        let dS0 = Tensor(zeros: [shape.stateCount])
        defer { withExtendedLifetime((q, k, v, g, beta, s0, dOut, dFinal, out, final, checkpoints, grads, dS0)) {} }   // kernels read raw pointers: keep the tensors alive
        GatedDeltaRecurrence.backward(q: q.data, k: k.data, v: v.data, logDecay: g.data, beta: beta.data, scale: scale,
                                      checkpoints: checkpoints.data, chunk: chunk,
                                      dOutput: dOut.data, dFinalState: dFinal.data,
                                      dq: grads[0].data, dk: grads[1].data, dv: grads[2].data,
                                      dLogDecay: grads[3].data, dBeta: grads[4].data, dInitialState: dS0.data,
                                      shape: shape)
        for (name, gr) in zip(["dq", "dk", "dv", "dLogDecay", "dBeta"], grads) {
            #expect(maxScaledDiff(gr.toArray(), try f.tensor(name).toArray()) < 1e-4, "\(name)")
        }
        #expect(maxScaledDiff(dS0.toArray(), try f.tensor("dInitialState").toArray()) < 1e-4)
    }

    // MARK: l2Normalize

    @Test func l2NormalizeMatchesReference() {
        var rng = TestRNG(seed: 63)
        let x = rng.tensor([7, 5, 20], -3, 3)
        for j in 0..<20 { x.data[40 + j] = 0 }   // an all-zero row stays zero (eps inside the root)
        let y = l2Normalize(x, eps: 1e-6)
        #expect(y.shape == x.shape)
        #expect(maxAbsDiff(y.toArray(), L2NormKernels.reference(x.toArray(), c: 20, eps: 1e-6)) < 1e-6)
        // Rows have unit norm up to eps.
        let row = Array(y.toArray()[0..<20])
        #expect(abs(row.map { Double($0) * Double($0) }.reduce(0, +) - 1) < 1e-5)
        #expect(y.toArray()[40..<60].allSatisfy { $0 == 0 })
    }

    @Test func l2NormalizeGradients() {
        var rng = TestRNG(seed: 64)
        let x = rng.tensor([2, 3, 5])
        expectGradientsMatch([x]) { l2Normalize($0[0], eps: 1e-6) }
        let tiny = rng.tensor([3, 4], -0.05, 0.05)   // norms near √eps: the eps term matters
        expectGradientsMatch([tiny], eps: 1e-4) { l2Normalize($0[0], eps: 1e-3) }
    }
}
