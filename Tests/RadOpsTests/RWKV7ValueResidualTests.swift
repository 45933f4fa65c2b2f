import Testing
import RadOps

/// The fused RWKV-7 value residual against the op-by-op chain RAD-RWKV7 used, and against finite
/// differences.
@Suite struct RWKV7ValueResidualTests {
    static func reference(v: Tensor, groups: Int, first: Tensor, h: Tensor, v2: Tensor, v0: Tensor) -> Tensor {
        let b = v.shape[0], t = v.shape[1], d = v.shape[2] * groups * v.shape[3]
        let vFull = repeatHeads(v, groups: groups).reshaped([b, t, d])
        let nu = sigmoid(add(matmul(h, v2).reshaped([b, t, d]), v0))
        return add(vFull, mul(sub(first, vFull), nu))
    }

    static func inputs(groups: Int, seed: UInt64) -> [Tensor] {
        var rng = TestRNG(seed: seed)
        let (b, t, kvh, n) = (2, 4, 2, 5), d = kvh * groups * n
        return [rng.tensor([b, t, kvh, n]), rng.tensor([b, t, d]), rng.tensor([b * t, 3]), rng.tensor([3, d], -1.5, 1.5),
                rng.tensor([1, 1, d])]
    }

    @Test(arguments: [1, 3])
    func equalsTheChain(_ groups: Int) {
        let x = Self.inputs(groups: groups, seed: 11)
        func run(_ f: ([Tensor]) -> Tensor) -> [[Float]] {
            for t in x { t.requiresGrad = true; t.grad = nil }
            let tape = Tape()
            let y = tape.withRecording { f(x) }
            var rng = TestRNG(seed: 9)
            tape.backward(y, gradient: rng.tensor(y.shape))
            return [y.toArray()] + x.map { $0.grad!.toArray() }
        }
        let a = run { Self.reference(v: $0[0], groups: groups, first: $0[1], h: $0[2], v2: $0[3], v0: $0[4]) }
        let b = run { rwkv7ValueResidual(v: $0[0], groups: groups, first: $0[1], lora: RWKV7LowRank($0[2], $0[3]), v0: $0[4]) }
        #expect(a[0] == b[0], "forward, bit for bit")
        for i in 1..<a.count {
            #expect(maxAbsDiff(a[i], b[i]) <= 2e-5 * max(1, a[i].map(abs).max() ?? 0), "gradient of input \(i - 1)")
        }
    }

    @Test func finiteDifferences() {
        let x = Self.inputs(groups: 2, seed: 23)
        expectGradientsMatch(x, eps: 1e-2, tolerance: 3e-3) { t in
            rwkv7ValueResidual(v: t[0], groups: 2, first: t[1], lora: RWKV7LowRank(t[2], t[3]), v0: t[4])
        }
    }
}
