import Testing
import RadOps

/// Deterministic pseudo-random numbers for tests (SplitMix64), so failures reproduce.
struct TestRNG {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [lo, hi).
    mutating func uniform(_ lo: Float = -1, _ hi: Float = 1) -> Float {
        lo + (hi - lo) * Float(next() >> 40) / Float(1 << 24)
    }
    mutating func tensor(_ shape: [Int], _ lo: Float = -1, _ hi: Float = 1, requiresGrad: Bool = false) -> Tensor {
        var r = self
        let t = Tensor(shape: shape, requiresGrad: requiresGrad) { _ in r.uniform(lo, hi) }
        self = r
        return t
    }
}

/// Checks the tape's gradients of `f` against central finite differences.
///
/// The scalar under test is `Σ f(inputs) ⊙ w` for fixed random weights `w`, summed in Double, so every
/// output element's gradient path is exercised. Differences use a step of `eps` on each input element.
func expectGradientsMatch(_ inputs: [Tensor], eps: Float = 1e-2, tolerance: Double = 2e-3,
                          seed: UInt64 = 7, sourceLocation: SourceLocation = #_sourceLocation,
                          _ f: ([Tensor]) -> Tensor) {
    for t in inputs { t.requiresGrad = true; t.grad = nil }
    let tape = Tape()
    let out = tape.withRecording { f(inputs) }
    var rng = TestRNG(seed: seed)
    let weights = (0..<out.count).map { _ in Double(rng.uniform()) }
    func scalar() -> Double {
        let y = f(inputs).toArray()
        var s = 0.0
        for i in 0..<y.count { s += Double(y[i]) * weights[i] }
        return s
    }
    let upstream = Tensor(shape: out.shape, values: weights.map { Float($0) })
    tape.backward(out, gradient: upstream)

    for (ti, t) in inputs.enumerated() {
        let analytic = t.grad?.toArray() ?? [Float](repeating: 0, count: t.count)
        for i in 0..<t.count {
            let saved = t.data[i]
            t.data[i] = saved + eps
            let plus = scalar()
            t.data[i] = saved - eps
            let minus = scalar()
            t.data[i] = saved
            let numeric = (plus - minus) / (2 * Double(eps))
            let err = abs(numeric - Double(analytic[i]))
            let scale = max(1.0, abs(numeric))
            #expect(err <= tolerance * scale,
                    "input \(ti) element \(i): analytic \(analytic[i]) vs numeric \(numeric)",
                    sourceLocation: sourceLocation)
        }
    }
}

/// Largest absolute difference between two equally sized arrays.
func maxAbsDiff(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "sizes differ: \(a.count) vs \(b.count)")
    var m: Float = 0
    for i in 0..<a.count { m = max(m, abs(a[i] - b[i])) }
    return m
}
