import Testing
import RadOps

@Suite struct MatMulTests {
    /// matmul's and addBias's outputs are not zeroed first: a reused block full of NaN (the large-block
    /// pool hands freed 32 MiB+ blocks back as they were) must not leak into the result.
    @Test func uninitializedOutputsAreOverwrittenWhole() {
        let (m, n, k) = (2048, 4100, 3)   // 33.6 MB: a pooled block
        do { let dirty = Tensor(zeros: [m, n]); for i in 0..<dirty.count { dirty.data[i] = .nan } }
        var rng = TestRNG(seed: 4)
        let a = rng.tensor([m, k]), b = rng.tensor([k, n]), bias = rng.tensor([n])
        let y = addBias(matmul(a, b), bias)
        #expect(y.toArray().allSatisfy { $0.isFinite })
        #expect(abs(y.data[5 * n + 7] - (a.data[5 * k] * b.data[7] + a.data[5 * k + 1] * b.data[n + 7] + a.data[5 * k + 2] * b.data[2 * n + 7] + bias.data[7])) < 1e-5)
    }

    @Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
    func matchesReference(_ ta: Bool, _ tb: Bool) {
        var rng = TestRNG(seed: 1)
        let (m, n, k) = (5, 7, 3)
        let a = rng.tensor(ta ? [k, m] : [m, k])
        let b = rng.tensor(tb ? [n, k] : [k, n])
        let c = matmul(a, b, transposeA: ta, transposeB: tb)
        var ref = [Float](repeating: 0, count: m * n)
        Gemm.reference(transA: ta, transB: tb, m: m, n: n, k: k, a: a.data, b: b.data, c: &ref)
        #expect(c.shape == [m, n])
        #expect(maxAbsDiff(c.toArray(), ref) < 1e-5)
    }

    @Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
    func gradients(_ ta: Bool, _ tb: Bool) {
        var rng = TestRNG(seed: 2)
        let (m, n, k) = (4, 3, 5)
        let a = rng.tensor(ta ? [k, m] : [m, k])
        let b = rng.tensor(tb ? [n, k] : [k, n])
        expectGradientsMatch([a, b]) { matmul($0[0], $0[1], transposeA: ta, transposeB: tb) }
    }

    @Test(arguments: [(false, false), (true, true)])
    func batchedGradients(_ ta: Bool, _ tb: Bool) {
        var rng = TestRNG(seed: 3)
        let a = rng.tensor(ta ? [2, 3, 4] : [2, 4, 3])
        let b = rng.tensor(tb ? [2, 5, 3] : [2, 3, 5])
        expectGradientsMatch([a, b]) { matmul($0[0], $0[1], transposeA: ta, transposeB: tb) }
    }

    @Test func sharedWeightGradients() {
        var rng = TestRNG(seed: 4)
        let x = rng.tensor([2, 3, 4]), w = rng.tensor([5, 4]), bias = rng.tensor([5])
        expectGradientsMatch([x, w, bias]) { linear($0[0], weight: $0[1], bias: $0[2]) }
    }

    @Test func tensorUsedTwiceAccumulates() {
        var rng = TestRNG(seed: 5)
        let a = rng.tensor([3, 3])
        expectGradientsMatch([a]) { matmul($0[0], $0[0]) }
    }
}
