import Testing
import RadOps

@Suite struct ElementwiseTests {
    static let broadcasts: [[Int]] = [[2, 3, 4], [4], [1, 1, 4], [3, 4], [1]]

    @Test(arguments: broadcasts)
    func binaryMatchesReference(_ bShape: [Int]) {
        var rng = TestRNG(seed: 11)
        let a = rng.tensor([2, 3, 4]), b = rng.tensor(bShape)
        for (op, f) in [(ElementwiseKernels.Binary.add, add), (.sub, sub), (.mul, mul)] as [(ElementwiseKernels.Binary, (Tensor, Tensor) -> Tensor)] {
            let out = f(a, b)
            #expect(out.shape == a.shape)
            #expect(maxAbsDiff(out.toArray(), ElementwiseKernels.referenceBinary(op, a.toArray(), b.toArray())) < 1e-6)
        }
    }

    @Test func largeParallelMatchesReference() {
        var rng = TestRNG(seed: 12)
        let a = rng.tensor([300, 1000]), b = rng.tensor([1000]), c = rng.tensor([300, 1000])
        #expect(maxAbsDiff(mul(a, b).toArray(), ElementwiseKernels.referenceBinary(.mul, a.toArray(), b.toArray())) == 0)
        #expect(maxAbsDiff(add(a, c).toArray(), ElementwiseKernels.referenceBinary(.add, a.toArray(), c.toArray())) == 0)
        #expect(maxAbsDiff(swiGLU(gate: a, up: c).toArray(), ElementwiseKernels.referenceSwiGLU(gate: a.toArray(), up: c.toArray())) < 1e-5)
    }

    @Test(arguments: broadcasts)
    func binaryGradients(_ bShape: [Int]) {
        var rng = TestRNG(seed: 13)
        let a = rng.tensor([2, 3, 4]), b = rng.tensor(bShape)
        expectGradientsMatch([a, b]) { add($0[0], $0[1]) }
        expectGradientsMatch([a, b]) { sub($0[0], $0[1]) }
        expectGradientsMatch([a, b]) { mul($0[0], $0[1]) }
    }

    @Test func scalarOpsGradients() {
        var rng = TestRNG(seed: 14)
        let x = rng.tensor([3, 5])
        #expect(maxAbsDiff(scale(x, 2.5).toArray(), x.toArray().map { $0 * 2.5 }) == 0)
        #expect(maxAbsDiff(addScalar(x, -1.5).toArray(), x.toArray().map { $0 - 1.5 }) == 0)
        expectGradientsMatch([x]) { scale($0[0], 2.5) }
        expectGradientsMatch([x]) { addScalar($0[0], -1.5) }
    }

    @Test func unaryForward() {
        var rng = TestRNG(seed: 15)
        let x = rng.tensor([4, 6], -5, 5)
        let xs = x.toArray().map(Double.init)
        func check(_ t: Tensor, _ f: (Double) -> Double) {
            #expect(maxAbsDiff(t.toArray(), xs.map { Float(f($0)) }) < 2e-6)
        }
        check(sigmoid(x)) { 1 / (1 + Foundation.exp(-$0)) }
        check(RadOps.tanh(x)) { Foundation.tanh($0) }
        check(RadOps.exp(scale(x, 0.5))) { Foundation.exp($0 * 0.5) }
        check(softplus(x)) { Foundation.log1p(Foundation.exp($0)) }
        check(silu(x)) { $0 / (1 + Foundation.exp(-$0)) }
        check(neg(x)) { -$0 }
        #expect(softplus(Tensor(shape: [1], values: [30])).item == 30)
    }

    @Test func unaryGradients() {
        var rng = TestRNG(seed: 16)
        let x = rng.tensor([3, 4], -2, 2)
        expectGradientsMatch([x]) { sigmoid($0[0]) }
        expectGradientsMatch([x]) { RadOps.tanh($0[0]) }
        expectGradientsMatch([x]) { RadOps.exp($0[0]) }
        expectGradientsMatch([x]) { softplus($0[0]) }
        expectGradientsMatch([x]) { silu($0[0]) }
        expectGradientsMatch([x]) { neg($0[0]) }
    }

    @Test func reductions() {
        var rng = TestRNG(seed: 17)
        let x = rng.tensor([5, 7])
        let ref = x.toArray().map(Double.init).reduce(0, +)
        #expect(sum(x).shape == [1])
        #expect(abs(Double(sum(x).item) - ref) < 1e-5)
        #expect(abs(Double(mean(x).item) - ref / 35) < 1e-6)
        expectGradientsMatch([x]) { sum($0[0]) }
        expectGradientsMatch([x]) { mean($0[0]) }
    }

    @Test func swiGLUGradients() {
        var rng = TestRNG(seed: 18)
        let g = rng.tensor([3, 5], -3, 3), u = rng.tensor([3, 5])
        expectGradientsMatch([g, u]) { swiGLU(gate: $0[0], up: $0[1]) }
    }

    @Test func embeddingLookupAndScatter() {
        var rng = TestRNG(seed: 19)
        let table = rng.tensor([6, 4])
        let ids: [Int32] = [3, 0, 3, 5]
        let out = embedding(ids, table: table)
        #expect(out.shape == [4, 4])
        #expect(out.toArray() == ids.flatMap { Array(table.toArray()[Int($0) * 4 ..< Int($0) * 4 + 4]) })
        expectGradientsMatch([table]) { embedding(ids, table: $0[0]) }
    }
}

import Foundation

@Suite struct FastMathTests {
    @Test func expMatchesLibm() {
        var worst: Float = 0
        var x: Float = -87
        while x < 88 {
            let ref = Foundation.exp(Double(x))
            worst = max(worst, Float(abs(Double(FastMath.exp(x)) - ref) / ref))
            x += 0.0137
        }
        #expect(worst < 3e-7)
        #expect(FastMath.exp(0) == 1)
        #expect(FastMath.exp(-200) >= 0 && FastMath.exp(-200) < 1e-37)
        #expect(FastMath.exp(200).isFinite)
    }
}
