import Foundation
import Testing
import RadOps

/// RAD-RWKV6 recurrence (GLA): kernel vs Double reference vs inference step vs FLA fixture, gradients.
@Suite struct RecurrenceGLATests {
    static let shapes = RecurrenceTestShapes.edgeCases

    @Test(arguments: shapes)
    func kernelMatchesReference(_ shape: RecurrenceShape) {
        let x = GLAInputs(shape, seed: 11)
        defer { withExtendedLifetime(x) {} }   // kernels read raw pointers: keep the tensors alive
        for s0 in [nil, x.s0] {
            let (out, final) = glaRecurrence(q: x.q, k: x.k, v: x.v, logw: x.logw, scale: x.scale, initialState: s0)
            let ref = GLARecurrenceReference.forward(q: x.q.data, k: x.k.data, v: x.v.data, logw: x.logw.data,
                                                     scale: x.scale, initialState: s0.map { UnsafePointer($0.data) },
                                                     shape: shape)
            #expect(maxScaledDiff(out.toArray(), ref.output) < 1e-5)
            #expect(maxScaledDiff(final.toArray(), ref.finalState) < 1e-5)
        }
    }

    @Test func moreThreadsThanHeads() {
        let shape = RecurrenceShape(batch: 1, length: 7, heads: 3, headSize: 8)
        let x = GLAInputs(shape, seed: 12)
        defer { withExtendedLifetime(x) {} }   // kernels read raw pointers: keep the tensors alive
        let before = Parallel.threadCount
        Parallel.setThreadCount(8)
        defer { Parallel.setThreadCount(before) }
        let (out, final) = glaRecurrence(q: x.q, k: x.k, v: x.v, logw: x.logw, scale: x.scale, initialState: x.s0)
        let ref = GLARecurrenceReference.forward(q: x.q.data, k: x.k.data, v: x.v.data, logw: x.logw.data,
                                                 scale: x.scale, initialState: x.s0.data, shape: shape)
        #expect(maxScaledDiff(out.toArray(), ref.output) < 1e-5)
        #expect(maxScaledDiff(final.toArray(), ref.finalState) < 1e-5)
    }

    @Test func stepMatchesKernel() {
        let shape = RecurrenceShape(batch: 2, length: 11, heads: 3, headSize: 16)
        let x = GLAInputs(shape, seed: 13)
        let (out, final) = glaRecurrence(q: x.q, k: x.k, v: x.v, logw: x.logw, scale: x.scale, initialState: x.s0)
        let state = x.s0.copy()
        var maxDiff: Float = 0
        for t in 0..<shape.length {
            let y = rwkv6Step(q: tokens(x.q, t..<t + 1), k: tokens(x.k, t..<t + 1), v: tokens(x.v, t..<t + 1),
                              logw: tokens(x.logw, t..<t + 1), scale: x.scale, state: state)
            maxDiff = max(maxDiff, maxScaledDiff(y.toArray(), tokens(out, t..<t + 1).toArray()))
        }
        #expect(maxDiff < 1e-6)
        #expect(maxScaledDiff(state.toArray(), final.toArray()) < 1e-6)
    }

    @Test func twoCallsWithCarriedStateEqualOne() {
        let shape = RecurrenceShape(batch: 2, length: 13, heads: 3, headSize: 8)
        let x = GLAInputs(shape, seed: 14)
        let (whole, finalWhole) = glaRecurrence(q: x.q, k: x.k, v: x.v, logw: x.logw, scale: x.scale, initialState: x.s0)
        let a = 0..<5, b = 5..<13
        let (o1, s1) = glaRecurrence(q: tokens(x.q, a), k: tokens(x.k, a), v: tokens(x.v, a), logw: tokens(x.logw, a),
                                     scale: x.scale, initialState: x.s0)
        let (o2, s2) = glaRecurrence(q: tokens(x.q, b), k: tokens(x.k, b), v: tokens(x.v, b), logw: tokens(x.logw, b),
                                     scale: x.scale, initialState: s1)
        #expect(maxScaledDiff(o1.toArray(), tokens(whole, a).toArray()) < 1e-6)
        #expect(maxScaledDiff(o2.toArray(), tokens(whole, b).toArray()) < 1e-6)
        #expect(maxScaledDiff(s2.toArray(), finalWhole.toArray()) < 1e-6)
    }

    /// The kernel's backward (decay gradient by the cumulative-decay identity) against the reference's
    /// direct chain rule, on a longer sequence with strong decays, with an upstream final-state gradient.
    @Test(arguments: [RecurrenceShape(batch: 2, length: 96, heads: 2, headSize: 16),
                      RecurrenceShape(batch: 1, length: 1, heads: 1, headSize: 8),
                      RecurrenceShape(batch: 1, length: 10, heads: 2, headSize: 7)])
    func backwardMatchesReference(_ shape: RecurrenceShape) {
        let x = GLAInputs(shape, seed: 15)
        var rng = TestRNG(seed: 16)
        let dOut = rng.tensor(x.q.shape), dFinal = rng.tensor(x.s0.shape)
        let grads = (0..<4).map { _ in Tensor(zeros: x.q.shape) }
        let dS0 = Tensor(zeros: x.s0.shape)
        defer { withExtendedLifetime((x, dOut, dFinal, grads, dS0)) {} }   // kernels read raw pointers: keep the tensors alive
        GLARecurrence.backward(q: x.q.data, k: x.k.data, v: x.v.data, logw: x.logw.data, scale: x.scale,
                               initialState: x.s0.data, dOutput: dOut.data, dFinalState: dFinal.data,
                               dq: grads[0].data, dk: grads[1].data, dv: grads[2].data, dlogw: grads[3].data,
                               dInitialState: dS0.data, shape: shape)
        let ref = GLARecurrenceReference.backward(q: x.q.data, k: x.k.data, v: x.v.data, logw: x.logw.data,
                                                  scale: x.scale, initialState: x.s0.data, dOutput: dOut.data,
                                                  dFinalState: dFinal.data, shape: shape)
        #expect(maxScaledDiff(grads[0].toArray(), ref.dq) < 1e-5)
        #expect(maxScaledDiff(grads[1].toArray(), ref.dk) < 1e-5)
        #expect(maxScaledDiff(grads[2].toArray(), ref.dv) < 1e-5)
        #expect(maxScaledDiff(grads[3].toArray(), ref.dlogw) < 1e-4)
        #expect(maxScaledDiff(dS0.toArray(), ref.dInitialState) < 1e-5)
    }

    @Test func gradientsOfOutput() {
        let x = GLAInputs(RecurrenceShape(batch: 2, length: 5, heads: 2, headSize: 3), seed: 17, logwRange: (-2, -0.05))
        expectGradientsMatch(x.all) { t in
            glaRecurrence(q: t[0], k: t[1], v: t[2], logw: t[3], scale: 0.7, initialState: t[4]).output
        }
    }

    @Test func gradientsOfFinalState() {
        let x = GLAInputs(RecurrenceShape(batch: 1, length: 4, heads: 2, headSize: 3), seed: 18, logwRange: (-2, -0.05))
        expectGradientsMatch(x.all) { t in
            glaRecurrence(q: t[0], k: t[1], v: t[2], logw: t[3], scale: 0.7, initialState: t[4]).finalState
        }
    }

    /// Gradients flow through a state carried from one call to the next (the first output unused).
    @Test func gradientsThroughCarriedState() {
        let shape = RecurrenceShape(batch: 1, length: 3, heads: 2, headSize: 3)
        let x1 = GLAInputs(shape, seed: 19, logwRange: (-2, -0.05)), x2 = GLAInputs(shape, seed: 20, logwRange: (-2, -0.05))
        expectGradientsMatch([x1.q, x1.k, x1.v, x1.logw, x1.s0, x2.q, x2.k, x2.v, x2.logw]) { t in
            let first = glaRecurrence(q: t[0], k: t[1], v: t[2], logw: t[3], scale: 0.5, initialState: t[4])
            return glaRecurrence(q: t[5], k: t[6], v: t[7], logw: t[8], scale: 0.5, initialState: first.finalState).output
        }
    }

    /// FLA 0.6.0 `naive_recurrent_gla` (scripts/fixtures/make_recurrence_fixtures.py).
    @Test func matchesFLAFixture() throws {
        let f = try RecurrenceFixture.load("gla.json")
        let shape = f.recurrenceShape
        let q = try f.tensor("q"), k = try f.tensor("k"), v = try f.tensor("v"), logw = try f.tensor("logw")
        let s0 = try f.tensor("initialState"), dOut = try f.tensor("dOutput"), dFinal = try f.tensor("dFinalState")
        let scale = 1 / Float(shape.headSize).squareRoot()
        let out = Tensor(zeros: [shape.sequenceCount]), final = Tensor(zeros: [shape.stateCount])
        GLARecurrence.forward(q: q.data, k: k.data, v: v.data, logw: logw.data, scale: scale, initialState: s0.data,
                              output: out.data, finalState: final.data, shape: shape)
        #expect(maxScaledDiff(out.toArray(), try f.tensor("output").toArray()) < 1e-4)
        #expect(maxScaledDiff(final.toArray(), try f.tensor("finalState").toArray()) < 1e-4)

        let grads = (0..<4).map { _ in Tensor(zeros: [shape.sequenceCount]) }
        let dS0 = Tensor(zeros: [shape.stateCount])
        defer { withExtendedLifetime((q, k, v, logw, s0, dOut, dFinal, out, final, grads, dS0)) {} }   // kernels read raw pointers: keep the tensors alive
        GLARecurrence.backward(q: q.data, k: k.data, v: v.data, logw: logw.data, scale: scale, initialState: s0.data,
                               dOutput: dOut.data, dFinalState: dFinal.data, dq: grads[0].data, dk: grads[1].data,
                               dv: grads[2].data, dlogw: grads[3].data, dInitialState: dS0.data, shape: shape)
        for (name, g) in zip(["dq", "dk", "dv", "dlogw"], grads) {
            #expect(maxScaledDiff(g.toArray(), try f.tensor(name).toArray()) < 1e-4, "\(name)")
        }
        #expect(maxScaledDiff(dS0.toArray(), try f.tensor("dInitialState").toArray()) < 1e-4)
    }
}
