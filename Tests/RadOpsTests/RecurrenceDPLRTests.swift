import Foundation
import Testing
import RadOps

/// RAD-RWKV7 recurrence (DPLR): kernel vs Double reference vs inference step vs FLA fixture, gradients.
@Suite struct RecurrenceDPLRTests {
    static let shapes = RecurrenceTestShapes.edgeCases

    @Test(arguments: shapes)
    func kernelMatchesReference(_ shape: RecurrenceShape) {
        let x = DPLRInputs(shape, seed: 31)
        defer { withExtendedLifetime(x) {} }   // kernels read raw pointers: keep the tensors alive
        for s0 in [nil, x.s0] {
            let (out, final) = dplrRecurrence(r: x.r, logw: x.logw, k: x.k, v: x.v, alpha: x.alpha, beta: x.beta,
                                              initialState: s0)
            let ref = DPLRRecurrenceReference.forward(r: x.r.data, logw: x.logw.data, k: x.k.data, v: x.v.data,
                                                      alpha: x.alpha.data, beta: x.beta.data,
                                                      initialState: s0.map { UnsafePointer($0.data) }, shape: shape)
            #expect(maxScaledDiff(out.toArray(), ref.output) < 1e-5)
            #expect(maxScaledDiff(final.toArray(), ref.finalState) < 1e-5)
        }
    }

    @Test func moreThreadsThanHeads() {
        let shape = RecurrenceShape(batch: 1, length: 7, heads: 3, headSize: 8)
        let x = DPLRInputs(shape, seed: 32)
        defer { withExtendedLifetime(x) {} }   // kernels read raw pointers: keep the tensors alive
        let before = Parallel.threadCount
        Parallel.setThreadCount(8)
        defer { Parallel.setThreadCount(before) }
        let (out, final) = dplrRecurrence(r: x.r, logw: x.logw, k: x.k, v: x.v, alpha: x.alpha, beta: x.beta,
                                          initialState: x.s0)
        let ref = DPLRRecurrenceReference.forward(r: x.r.data, logw: x.logw.data, k: x.k.data, v: x.v.data,
                                                  alpha: x.alpha.data, beta: x.beta.data, initialState: x.s0.data,
                                                  shape: shape)
        #expect(maxScaledDiff(out.toArray(), ref.output) < 1e-5)
        #expect(maxScaledDiff(final.toArray(), ref.finalState) < 1e-5)
    }

    @Test func stepMatchesKernel() {
        let shape = RecurrenceShape(batch: 2, length: 11, heads: 3, headSize: 16)
        let x = DPLRInputs(shape, seed: 33)
        let (out, final) = dplrRecurrence(r: x.r, logw: x.logw, k: x.k, v: x.v, alpha: x.alpha, beta: x.beta,
                                          initialState: x.s0)
        let state = x.s0.copy()
        var maxDiff: Float = 0
        for t in 0..<shape.length {
            let tok = t..<t + 1
            let y = rwkv7Step(r: tokens(x.r, tok), logw: tokens(x.logw, tok), k: tokens(x.k, tok), v: tokens(x.v, tok),
                              alpha: tokens(x.alpha, tok), beta: tokens(x.beta, tok), state: state)
            maxDiff = max(maxDiff, maxScaledDiff(y.toArray(), tokens(out, tok).toArray()))
        }
        #expect(maxDiff < 1e-6)
        #expect(maxScaledDiff(state.toArray(), final.toArray()) < 1e-6)
    }

    @Test func twoCallsWithCarriedStateEqualOne() {
        let shape = RecurrenceShape(batch: 2, length: 13, heads: 3, headSize: 8)
        let x = DPLRInputs(shape, seed: 34)
        let (whole, finalWhole) = dplrRecurrence(r: x.r, logw: x.logw, k: x.k, v: x.v, alpha: x.alpha, beta: x.beta,
                                                 initialState: x.s0)
        func part(_ range: Range<Int>, _ s: Tensor) -> (output: Tensor, finalState: Tensor) {
            dplrRecurrence(r: tokens(x.r, range), logw: tokens(x.logw, range), k: tokens(x.k, range),
                           v: tokens(x.v, range), alpha: tokens(x.alpha, range), beta: tokens(x.beta, range),
                           initialState: s)
        }
        let (o1, s1) = part(0..<6, x.s0)
        let (o2, s2) = part(6..<13, s1)
        #expect(maxScaledDiff(o1.toArray(), tokens(whole, 0..<6).toArray()) < 1e-6)
        #expect(maxScaledDiff(o2.toArray(), tokens(whole, 6..<13).toArray()) < 1e-6)
        #expect(maxScaledDiff(s2.toArray(), finalWhole.toArray()) < 1e-6)
    }

    /// The checkpointed backward against the reference's direct chain rule for several checkpoint
    /// intervals (1, one not dividing T, longer than T), with an upstream final-state gradient.
    @Test(arguments: [1, 5, 32, 200])
    func backwardMatchesReference(_ chunk: Int) {
        let shape = RecurrenceShape(batch: 2, length: 67, heads: 2, headSize: 12)
        let x = DPLRInputs(shape, seed: 35)
        var rng = TestRNG(seed: 36)
        let dOut = rng.tensor(x.r.shape), dFinal = rng.tensor(x.s0.shape)
        let out = Tensor(zeros: x.r.shape), final = Tensor(zeros: x.s0.shape)
        let checkpoints = Tensor(zeros: [shape.checkpointElements(chunk: chunk)])
        DPLRRecurrence.forward(r: x.r.data, logw: x.logw.data, k: x.k.data, v: x.v.data, alpha: x.alpha.data,
                               beta: x.beta.data, initialState: x.s0.data, output: out.data, finalState: final.data,
                               checkpoints: checkpoints.data, chunk: chunk, shape: shape)
        let grads = (0..<6).map { _ in Tensor(zeros: x.r.shape) }
        let dS0 = Tensor(zeros: x.s0.shape)
        defer { withExtendedLifetime((x, dOut, dFinal, out, final, checkpoints, grads, dS0)) {} }   // kernels read raw pointers: keep the tensors alive
        DPLRRecurrence.backward(r: x.r.data, logw: x.logw.data, k: x.k.data, v: x.v.data, alpha: x.alpha.data,
                                beta: x.beta.data, checkpoints: checkpoints.data, chunk: chunk,
                                dOutput: dOut.data, dFinalState: dFinal.data,
                                dr: grads[0].data, dlogw: grads[1].data, dk: grads[2].data, dv: grads[3].data,
                                dAlpha: grads[4].data, dBeta: grads[5].data, dInitialState: dS0.data, shape: shape)
        let ref = DPLRRecurrenceReference.backward(r: x.r.data, logw: x.logw.data, k: x.k.data, v: x.v.data,
                                                   alpha: x.alpha.data, beta: x.beta.data, initialState: x.s0.data,
                                                   dOutput: dOut.data, dFinalState: dFinal.data, shape: shape)
        let expected = [ref.dr, ref.dlogw, ref.dk, ref.dv, ref.dAlpha, ref.dBeta]
        for (i, name) in ["dr", "dlogw", "dk", "dv", "dAlpha", "dBeta"].enumerated() {
            #expect(maxScaledDiff(grads[i].toArray(), expected[i]) < 1e-5, "\(name)")
        }
        #expect(maxScaledDiff(dS0.toArray(), ref.dInitialState) < 1e-5)
    }

    @Test func gradientsOfOutput() {
        let x = DPLRInputs(RecurrenceShape(batch: 2, length: 5, heads: 2, headSize: 3), seed: 37)
        expectGradientsMatch(x.all) { t in
            dplrRecurrence(r: t[0], logw: t[1], k: t[2], v: t[3], alpha: t[4], beta: t[5], initialState: t[6],
                           chunk: 2).output
        }
    }

    @Test func gradientsOfFinalState() {
        let x = DPLRInputs(RecurrenceShape(batch: 1, length: 4, heads: 2, headSize: 3), seed: 38)
        expectGradientsMatch(x.all) { t in
            dplrRecurrence(r: t[0], logw: t[1], k: t[2], v: t[3], alpha: t[4], beta: t[5], initialState: t[6],
                           chunk: 3).finalState
        }
    }

    /// Gradients flow through a state carried from one call to the next (the first output unused).
    @Test func gradientsThroughCarriedState() {
        let shape = RecurrenceShape(batch: 1, length: 3, heads: 1, headSize: 3)
        let x1 = DPLRInputs(shape, seed: 39), x2 = DPLRInputs(shape, seed: 40)
        expectGradientsMatch(x1.all + Array(x2.all.prefix(6))) { t in
            let first = dplrRecurrence(r: t[0], logw: t[1], k: t[2], v: t[3], alpha: t[4], beta: t[5], initialState: t[6])
            return dplrRecurrence(r: t[7], logw: t[8], k: t[9], v: t[10], alpha: t[11], beta: t[12],
                                  initialState: first.finalState).output
        }
    }

    /// FLA 0.6.0 `dplr_recurrence` (scripts/fixtures/make_recurrence_fixtures.py; layouts mapped there).
    @Test func matchesFLAFixture() throws {
        let f = try RecurrenceFixture.load("dplr.json")
        let shape = f.recurrenceShape
        let names = ["r", "logw", "k", "v", "alpha", "beta"]
        let x = try names.map { try f.tensor($0) }
        let s0 = try f.tensor("initialState"), dOut = try f.tensor("dOutput"), dFinal = try f.tensor("dFinalState")
        let out = Tensor(zeros: [shape.sequenceCount]), final = Tensor(zeros: [shape.stateCount])
        let chunk = 4
        let checkpoints = Tensor(zeros: [shape.checkpointElements(chunk: chunk)])
        DPLRRecurrence.forward(r: x[0].data, logw: x[1].data, k: x[2].data, v: x[3].data, alpha: x[4].data,
                               beta: x[5].data, initialState: s0.data, output: out.data, finalState: final.data,
                               checkpoints: checkpoints.data, chunk: chunk, shape: shape)
        #expect(maxScaledDiff(out.toArray(), try f.tensor("output").toArray()) < 1e-4)
        #expect(maxScaledDiff(final.toArray(), try f.tensor("finalState").toArray()) < 1e-4)

        let grads = (0..<6).map { _ in Tensor(zeros: [shape.sequenceCount]) }
        let dS0 = Tensor(zeros: [shape.stateCount])
        defer { withExtendedLifetime((x, s0, dOut, dFinal, out, final, checkpoints, grads, dS0)) {} }   // kernels read raw pointers: keep the tensors alive
        DPLRRecurrence.backward(r: x[0].data, logw: x[1].data, k: x[2].data, v: x[3].data, alpha: x[4].data,
                                beta: x[5].data, checkpoints: checkpoints.data, chunk: chunk,
                                dOutput: dOut.data, dFinalState: dFinal.data,
                                dr: grads[0].data, dlogw: grads[1].data, dk: grads[2].data, dv: grads[3].data,
                                dAlpha: grads[4].data, dBeta: grads[5].data, dInitialState: dS0.data, shape: shape)
        for (name, g) in zip(["dr", "dlogw", "dk", "dv", "dAlpha", "dBeta"], grads) {
            #expect(maxScaledDiff(g.toArray(), try f.tensor(name).toArray()) < 1e-4, "\(name)")
        }
        #expect(maxScaledDiff(dS0.toArray(), try f.tensor("dInitialState").toArray()) < 1e-4)
    }
}
