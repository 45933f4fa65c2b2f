import Testing
import Foundation
import RadOps

@Suite struct LossTests {
    @Test func logSoftmaxForwardAndGradients() {
        var rng = TestRNG(seed: 41)
        let x = rng.tensor([5, 9], -4, 4)
        let ref = LossKernels.referenceLogSoftmax(x.toArray(), v: 9).map(Float.init)
        #expect(maxAbsDiff(logSoftmax(x).toArray(), ref) < 2e-6)
        let xs = rng.tensor([3, 5], -2, 2)
        expectGradientsMatch([xs]) { logSoftmax($0[0]) }
    }

    @Test func crossEntropyForwardAndGradients() {
        var rng = TestRNG(seed: 42)
        let x = rng.tensor([7, 11], -4, 4)
        let targets: [Int32] = [0, 10, 3, 3, 5, 9, 1]
        let loss = crossEntropy(logits: x, targets: targets)
        #expect(abs(Double(loss.item) - LossKernels.referenceCrossEntropy(x.toArray(), targets: targets, v: 11)) < 1e-6)
        let xs = rng.tensor([3, 5], -2, 2)
        expectGradientsMatch([xs]) { crossEntropy(logits: $0[0], targets: [4, 0, 2]) }
    }

    @Test(arguments: [1, 2, 512])
    func klDivergenceForwardAndGradients(_ chunk: Int) {
        var rng = TestRNG(seed: 43)
        let t = rng.tensor([5, 13], -5, 5), s = rng.tensor([5, 13], -5, 5)
        let loss = klDivergence(teacherLogits: t, studentLogits: s, chunkSize: chunk)
        #expect(abs(Double(loss.item) - LossKernels.referenceKL(teacher: t.toArray(), student: s.toArray(), v: 13)) < 1e-6)
        #expect(abs(klDivergence(teacherLogits: s, studentLogits: s).item) < 1e-6)
        let ts = rng.tensor([3, 4], -2, 2), ss = rng.tensor([3, 4], -2, 2)
        expectGradientsMatch([ss]) { klDivergence(teacherLogits: ts, studentLogits: $0[0], chunkSize: chunk) }
    }

    @Test func klDivergenceGivesNoTeacherGradient() {
        var rng = TestRNG(seed: 44)
        let t = rng.tensor([2, 4], requiresGrad: true), s = rng.tensor([2, 4], requiresGrad: true)
        let tape = Tape()
        let loss = tape.withRecording { klDivergence(teacherLogits: t, studentLogits: s) }
        tape.backward(loss)
        #expect(t.grad == nil)
        #expect(s.grad != nil)
    }

    @Test func rmsL2LossForwardAndGradients() {
        var rng = TestRNG(seed: 45)
        let yt = rng.tensor([2, 3, 8]), ys = rng.tensor([2, 3, 8])
        let a = yt.toArray(), b = ys.toArray()
        var ref = 0.0
        for r in 0..<6 {
            var s = 0.0
            for j in 0..<8 { s += pow(Double(a[r * 8 + j] - b[r * 8 + j]), 2) }
            ref += s.squareRoot() / 8.0.squareRoot()
        }
        #expect(abs(Double(rmsL2Loss(teacher: yt, student: ys).item) - ref / 6) < 1e-6)
        expectGradientsMatch([ys]) { rmsL2Loss(teacher: yt, student: $0[0]) }
    }

    @Test func rmsL2LossAtZeroDistanceHasZeroGradient() {
        let y = Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        let s = y.copy(); s.requiresGrad = true
        let tape = Tape()
        let loss = tape.withRecording { rmsL2Loss(teacher: y, student: s) }
        tape.backward(loss)
        #expect(loss.item == 0)
        #expect(s.grad?.toArray().allSatisfy { $0 == 0 && !$0.isNaN } ?? true)
    }
}
