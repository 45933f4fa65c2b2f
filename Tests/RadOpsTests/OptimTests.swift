import Testing
import Foundation
import RadOps

@Suite struct OptimTests {
    @Test func adamWStateRoundTripResumesIdentically() throws {
        var rng = TestRNG(seed: 51)
        func make() -> (Tensor, Tensor) {
            var r = TestRNG(seed: 52)
            let a = r.tensor([3, 4]); a.name = "layer.w"
            let b = r.tensor([4]); b.name = "layer.b"
            return (a, b)
        }
        let grads = (0..<4).map { _ in (rng.tensor([3, 4]), rng.tensor([4])) }
        // Uninterrupted run.
        let (a1, b1) = make()
        let o1 = AdamW(groups: [ParamGroup(params: [a1], lr: 1e-2), ParamGroup(params: [b1], lr: 1e-3, weightDecay: 0)])
        for (ga, gb) in grads { a1.grad = ga.copy(); b1.grad = gb.copy(); o1.step() }
        // Two steps, export, fresh optimizer, import, two more steps.
        let (a2, b2) = make()
        let o2 = AdamW(groups: [ParamGroup(params: [a2], lr: 1e-2), ParamGroup(params: [b2], lr: 1e-3, weightDecay: 0)])
        for (ga, gb) in grads.prefix(2) { a2.grad = ga.copy(); b2.grad = gb.copy(); o2.step() }
        let state = o2.exportState()
        #expect(Set(state.keys) == ["step", "layer.w.exp_avg", "layer.w.exp_avg_sq", "layer.b.exp_avg", "layer.b.exp_avg_sq"])
        let o3 = AdamW(groups: [ParamGroup(params: [a2], lr: 1e-2), ParamGroup(params: [b2], lr: 1e-3, weightDecay: 0)])
        try o3.importState(state)
        #expect(o3.stepCount == 2)
        for (ga, gb) in grads.suffix(2) { a2.grad = ga.copy(); b2.grad = gb.copy(); o3.step() }
        #expect(a1.toArray() == a2.toArray())
        #expect(b1.toArray() == b2.toArray())
    }

    @Test func importStateRejectsBadState() {
        let p = Tensor(zeros: [2]); p.name = "p"
        let opt = AdamW(groups: [ParamGroup(params: [p], lr: 1)])
        #expect(throws: OptimizerStateError.self) { try opt.importState([:]) }
        let bad: [String: Tensor] = ["step": Tensor(shape: [1], values: [1]), "p.exp_avg": Tensor(zeros: [3])]
        do { try opt.importState(bad); Issue.record("expected an error") } catch {
            #expect("\(error)".contains("p.exp_avg"))
        }
        let extra: [String: Tensor] = ["step": Tensor(shape: [1], values: [1]), "q.exp_avg": Tensor(zeros: [2])]
        #expect(throws: OptimizerStateError.self) { try opt.importState(extra) }
    }

    @Test func clipDoesNothingBelowMaxNorm() {
        let p = Tensor(zeros: [2]); p.grad = Tensor(shape: [2], values: [0.3, 0.4])
        #expect(abs(clipGradNorm([p], maxNorm: 1) - 0.5) < 1e-7)
        #expect(p.grad!.toArray() == [0.3, 0.4])
    }

    /// `grad_clip: 0` is "off": the gradients stay as they are (they were all multiplied by 0).
    @Test func aMaxNormOfZeroIsNoClipping() {
        let p = Tensor(zeros: [2]); p.grad = Tensor(shape: [2], values: [30, 40])
        #expect(abs(clipGradNorm([p], maxNorm: 0) - 50) < 1e-5)
        #expect(p.grad!.toArray() == [30, 40])
    }

    @Test func scheduleFollowsSpecFormula() {
        // Stage 1 (spec §1.2): 1e-3 → 1e-5 quarter-cosine, 50 warm-up steps, 16384 tokens/step, 1e8 tokens.
        let s = LRSchedule(kind: .cos, initLR: 1e-3, finalLR: 1e-5, warmupSteps: 50, totalTokens: 100_000_000, tokensPerStep: 16384)
        #expect(abs(s.lr(step: 0) - 1e-5) < 1e-12)                 // 1% of init at step 0 (p = 0)
        #expect(abs(s.lr(step: 25) - 1e-3 * (0.01 + 0.99 * 0.5)) < 1e-12)
        #expect(abs(s.lr(step: 50) - 1e-3) < 1e-12)
        let warm = 50.0 * 16384, e = 100_000_000.0
        let step = 3000
        let p = (Double(step) * 16384 - warm) / (e - warm)
        #expect(abs(s.lr(step: step) - (1e-5 + (1e-3 - 1e-5) * cos(Double.pi / 2 * p))) < 1e-15)
        #expect(abs(s.lr(step: s.totalSteps) - 1e-5) < 1e-15)
        // linear and exp at the midpoint of progress.
        var l = s; l.kind = .linear; l.warmupSteps = 0; l.totalTokens = 1000; l.tokensPerStep = 10
        #expect(abs(l.lr(step: 50) - (1e-5 + (1e-3 - 1e-5) * 0.5)) < 1e-15)
        l.kind = .exp
        #expect(abs(l.lr(step: 50) - 1e-3 * exp(log(1e-2) * 0.5)) < 1e-15)
        l.kind = .constant
        #expect(l.lr(step: 70) == 1e-3)
    }

    @Test func scheduleWaitEndpointWindow() {
        // Step 2a attention group: 1e-4 held to 83.3%, cosine to 7e-6 by 87.5%, then held.
        let s = LRSchedule(kind: .cos, initLR: 1e-4, finalLR: 7e-6, warmupSteps: 0, totalTokens: 1_000_000, tokensPerStep: 1000,
                           wait: 0.833, endpoint: 0.875)
        #expect(s.lr(step: 500) == 1e-4)
        #expect(s.lr(step: 833) == 1e-4)
        let q = (0.854 - 0.833) / (0.875 - 0.833)
        #expect(abs(s.lr(step: 854) - (7e-6 + (1e-4 - 7e-6) * cos(Double.pi / 2 * q))) < 1e-15)
        #expect(abs(s.lr(step: 900) - 7e-6) < 1e-18)
    }
}
