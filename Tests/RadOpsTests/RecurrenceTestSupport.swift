import Foundation
import Testing
import RadOps

/// Random inputs for the recurrence tests, in the value ranges RAD-RWKV6/7 produce.
struct GLAInputs {
    let shape: RecurrenceShape
    let q, k, v, logw: Tensor
    let s0: Tensor

    init(_ shape: RecurrenceShape, seed: UInt64, logwRange: (Float, Float) = (-5, -0.01)) {
        self.shape = shape
        var rng = TestRNG(seed: seed)
        let dims = [shape.batch, shape.length, shape.heads, shape.headSize]
        q = rng.tensor(dims)
        v = rng.tensor(dims)
        let lw = rng.tensor(dims, logwRange.0, logwRange.1)
        let raw = rng.tensor(dims)
        logw = lw
        k = Tensor(shape: dims) { i in raw.data[i] * (1 - exp(lw.data[i])) }   // balanced keys
        s0 = rng.tensor([shape.batch, shape.heads, shape.headSize, shape.headSize], -0.5, 0.5)
    }

    var all: [Tensor] { [q, k, v, logw, s0] }
    var scale: Float { 1 / Float(shape.headSize).squareRoot() }
}

struct DPLRInputs {
    let shape: RecurrenceShape
    let r, logw, k, v, alpha, beta: Tensor
    let s0: Tensor

    init(_ shape: RecurrenceShape, seed: UInt64) {
        self.shape = shape
        var rng = TestRNG(seed: seed)
        let dims = [shape.batch, shape.length, shape.heads, shape.headSize]
        let n = shape.headSize
        r = rng.tensor(dims)
        k = rng.tensor(dims, -0.5, 0.5)
        v = rng.tensor(dims)
        logw = rng.tensor(dims, -0.6065, -0.01)        // RAD-RWKV7: w ∈ (e^{-e^{-0.5}}, 1)
        let kappa = rng.tensor(dims), a = rng.tensor(dims, 0, 1)
        for row in 0..<(kappa.count / n) {             // κ normalised per head
            let p = kappa.data + row * n
            var s: Float = 0
            for j in 0..<n { s += p[j] * p[j] }
            for j in 0..<n { p[j] /= max(s.squareRoot(), 1e-12) }
        }
        alpha = Tensor(shape: dims) { -kappa.data[$0] }
        beta = Tensor(shape: dims) { kappa.data[$0] * a.data[$0] }
        s0 = rng.tensor([shape.batch, shape.heads, n, n], -0.5, 0.5)
    }

    var all: [Tensor] { [r, logw, k, v, alpha, beta, s0] }
}

/// Largest |a − b| / max(1, |b|): absolute for small values, relative where values are large.
func maxScaledDiff(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "sizes differ: \(a.count) vs \(b.count)")
    var m: Float = 0
    for i in 0..<a.count { m = max(m, abs(a[i] - b[i]) / max(1, abs(b[i]))) }
    return m
}

/// Tokens `range` of a [B, T, H, N] tensor, copied into a new tensor.
func tokens(_ t: Tensor, _ range: Range<Int>) -> Tensor {
    let (b, len, inner) = (t.shape[0], t.shape[1], t.shape[2] * t.shape[3])
    let out = Tensor(zeros: [b, range.count, t.shape[2], t.shape[3]])
    for bi in 0..<b {
        (out.data + bi * range.count * inner).update(from: t.data + (bi * len + range.lowerBound) * inner,
                                                     count: range.count * inner)
    }
    return out
}

/// A recurrence fixture written by scripts/fixtures/make_recurrence_fixtures.py.
struct RecurrenceFixture: Decodable {
    struct Shape: Decodable { let B, T, H, N: Int }
    let shape: Shape
    let tensors: [String: [Float]]

    static func load(_ name: String) throws -> RecurrenceFixture {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/recurrence/\(name)")
        return try JSONDecoder().decode(RecurrenceFixture.self, from: Data(contentsOf: url))
    }

    var recurrenceShape: RecurrenceShape { RecurrenceShape(batch: shape.B, length: shape.T, heads: shape.H, headSize: shape.N) }

    func tensor(_ key: String) throws -> Tensor {
        let values = try #require(tensors[key], "fixture has no tensor \(key)")
        return Tensor(shape: [values.count], values: values)
    }
}

/// The shapes both recurrences are tested at: several heads, T = 1, an odd length with N not a
/// multiple of the 8 SIMD lanes, and a single (batch, head) task, fewer than the worker threads.
enum RecurrenceTestShapes {
    static let edgeCases = [
        RecurrenceShape(batch: 2, length: 9, heads: 3, headSize: 8),
        RecurrenceShape(batch: 1, length: 1, heads: 2, headSize: 16),
        RecurrenceShape(batch: 2, length: 17, heads: 1, headSize: 12),
        RecurrenceShape(batch: 1, length: 6, heads: 1, headSize: 5),
    ]
}

/// Inputs of the gated delta rule as RAD-GDN passes them: q, k L2-normalised per head, v free, one log
/// decay g < 0 and one β ∈ (0, 1) per head and token ([B, T, H]).
struct GatedDeltaInputs {
    let shape: RecurrenceShape
    let q, k, v, g, beta: Tensor
    let s0: Tensor

    init(_ shape: RecurrenceShape, seed: UInt64, gRange: (Float, Float) = (-3, -0.02)) {
        self.shape = shape
        var rng = TestRNG(seed: seed)
        let dims = [shape.batch, shape.length, shape.heads, shape.headSize]
        let perHead = [shape.batch, shape.length, shape.heads]
        q = l2Normalize(rng.tensor(dims))
        k = l2Normalize(rng.tensor(dims))
        v = rng.tensor(dims)
        g = rng.tensor(perHead, gRange.0, gRange.1)
        beta = rng.tensor(perHead, 0.05, 0.95)
        s0 = rng.tensor([shape.batch, shape.heads, shape.headSize, shape.headSize], -0.5, 0.5)
    }

    var all: [Tensor] { [q, k, v, g, beta, s0] }
    var scale: Float { 1 / Float(shape.headSize).squareRoot() }
}

/// Tokens `range` of a per-head [B, T, H] tensor (as `tokens` for [B, T, H, N]).
func headTokens(_ t: Tensor, _ range: Range<Int>) -> Tensor {
    let (b, len, h) = (t.shape[0], t.shape[1], t.shape[2])
    let out = Tensor(zeros: [b, range.count, h])
    for bi in 0..<b {
        (out.data + bi * range.count * h).update(from: t.data + (bi * len + range.lowerBound) * h, count: range.count * h)
    }
    return out
}
