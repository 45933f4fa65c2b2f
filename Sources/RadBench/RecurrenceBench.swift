import RadModelZoo
import RadOps
import Foundation

/// Timings of the students' recurrences for one layer (medians over `repeats`): the two RADLADS ones
/// and rad-gdn's gated delta rule.
///
/// Flops are the arithmetic the kernels execute, a multiply-add counted as 2, per head, token and state
/// element (`GLARecurrence.forwardFlopsPerElement` etc.): GLA forward 5·N², backward 12·N²; DPLR forward
/// 9·N², backward 26·N²; gated delta forward 7·N², backward 22·N². (The spec's nominal "≈4·N² per token for RWKV-7" counts one operation per
/// multiply-add and omits the decay multiply.)
public struct RecurrenceBenchResult: Sendable, CustomStringConvertible {
    /// "gla" (RAD-RWKV6, qlinatt), "dplr" (RAD-RWKV7) or "gated_delta" (rad-gdn).
    public let kernel: String
    public let shape: RecurrenceShape
    /// Checkpoint interval of the DPLR and gated-delta backwards (0 for GLA, which needs none).
    public let chunk: Int
    public let threads: Int
    public let forwardMs: Double
    /// Forward (with checkpoints for DPLR) plus backward, as one training step of the layer runs them.
    public let forwardBackwardMs: Double
    /// One inference step (one token for each of the B rows), microseconds.
    public let stepUs: Double
    public let forwardGflops: Double
    public let forwardBackwardGflops: Double

    public var description: String {
        func f(_ x: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", x) }
        return "\(kernel) \(shape) chunk \(chunk), \(threads) threads: fwd \(f(forwardMs, 2)) ms "
            + "(\(f(forwardGflops, 1)) GFLOP/s), fwd+bwd \(f(forwardBackwardMs, 2)) ms "
            + "(\(f(forwardBackwardGflops, 1)) GFLOP/s), step \(f(stepUs, 1)) us"
    }

    /// Flat figures for `rad bench` / BENCHMARKS.md, keyed "<kernel> N=<n> <figure>".
    public var figures: [String: Double] {
        let p = "\(kernel) B=\(shape.batch) T=\(shape.length) H=\(shape.heads) N=\(shape.headSize)"
        return ["\(p) fwd ms": forwardMs, "\(p) fwd+bwd ms": forwardBackwardMs, "\(p) step us": stepUs,
                "\(p) fwd GFLOP/s": forwardGflops, "\(p) fwd+bwd GFLOP/s": forwardBackwardGflops]
    }
}

/// The shapes of the brief: a SmolLM2-sized student layer and a Qwen2.5-7B layer.
public let recurrenceBenchShapes = [
    RecurrenceShape(batch: 4, length: 512, heads: 9, headSize: 64),
    RecurrenceShape(batch: 4, length: 512, heads: 28, headSize: 128),
]

/// Measures every recurrence on each shape (DPLR once per checkpoint interval in `dplrChunks`).
public func benchmarkRecurrences(shapes: [RecurrenceShape] = recurrenceBenchShapes, repeats: Int = 5,
                                 dplrChunks: [Int] = [DPLRRecurrence.defaultChunk]) -> [RecurrenceBenchResult] {
    var results: [RecurrenceBenchResult] = []
    for shape in shapes {
        let inputs = RecurrenceBenchInputs(shape: shape)
        results.append(inputs.measureGLA(repeats: repeats))
        for chunk in dplrChunks { results.append(inputs.measureDPLR(chunk: chunk, repeats: repeats)) }
        results.append(inputs.measureGatedDelta(repeats: repeats))
    }
    return results
}

/// Realistic, bounded inputs (no denormals): GLA decays in [e^-5, 1) with balanced keys, DPLR with
/// unit-norm κ, α = −κ, β = κ ⊙ a, decays in (0.545, 1); the gated delta rule with unit-norm keys
/// (κ), one decay in (0.545, 1) and one write strength in (0, 1) per head and token.
private final class RecurrenceBenchInputs {
    let shape: RecurrenceShape
    let q, k, v, logw, dplrLogw, alpha, beta, dOut, state, out, dState: Tensor
    let kappa, headLogDecay, headBeta: Tensor
    let grads: [Tensor]

    init(shape: RecurrenceShape) {
        self.shape = shape
        var rng = SplitMix(seed: 42)
        let c = shape.sequenceCount, n = shape.headSize
        func make(_ lo: Float, _ hi: Float) -> Tensor { Tensor(shape: [c]) { _ in rng.uniform(lo, hi) } }
        q = make(-1, 1); v = make(-1, 1); dOut = make(-1, 1)
        logw = make(-5, -0.01)
        k = Tensor(zeros: [c])   // filled with balanced keys below
        dplrLogw = make(-0.6, -0.01)
        let kappa = make(-1, 1), a = make(0, 1)
        self.kappa = kappa
        headLogDecay = Tensor(shape: [c / n]) { _ in rng.uniform(-0.6, -0.01) }
        headBeta = Tensor(shape: [c / n]) { _ in rng.uniform(0, 1) }
        for row in 0..<(c / n) {   // normalise κ per head
            var s: Float = 0
            for j in 0..<n { s += kappa.data[row * n + j] * kappa.data[row * n + j] }
            let inv = 1 / max(s.squareRoot(), 1e-12)
            for j in 0..<n { kappa.data[row * n + j] *= inv }
        }
        alpha = Tensor(shape: [c]) { i in -kappa.data[i] }
        beta = Tensor(shape: [c]) { i in kappa.data[i] * a.data[i] }
        state = Tensor(zeros: [shape.stateCount])
        out = Tensor(zeros: [c])
        dState = Tensor(zeros: [shape.stateCount])
        grads = (0..<6).map { _ in Tensor(zeros: [c]) }
        // Balanced keys k ⊙ (1 − w), as RAD-RWKV6 feeds them.
        let raw = make(-1, 1)
        for i in 0..<c { k.data[i] = raw.data[i] * (1 - exp(logw.data[i])) }
    }

    func measureGLA(repeats: Int) -> RecurrenceBenchResult {
        let s = shape, scale = 1 / Float(s.headSize).squareRoot()
        let fwd = median(repeats) {
            GLARecurrence.forward(q: q.data, k: k.data, v: v.data, logw: logw.data, scale: scale,
                                  initialState: nil, output: out.data, finalState: state.data, shape: s)
        }
        let fb = median(repeats) {
            GLARecurrence.forward(q: q.data, k: k.data, v: v.data, logw: logw.data, scale: scale,
                                  initialState: nil, output: out.data, finalState: state.data, shape: s)
            GLARecurrence.backward(q: q.data, k: k.data, v: v.data, logw: logw.data, scale: scale,
                                   initialState: nil, dOutput: dOut.data, dFinalState: nil,
                                   dq: grads[0].data, dk: grads[1].data, dv: grads[2].data, dlogw: grads[3].data,
                                   dInitialState: dState.data, shape: s)
        }
        let step = stepMedian(repeats) {
            GLARecurrence.step(q: q.data, k: k.data, v: v.data, logw: logw.data, scale: scale, state: state.data,
                               output: out.data, batch: s.batch, heads: s.heads, headSize: s.headSize)
        }
        return result("gla", chunk: 0, fwd, fb, step, GLARecurrence.forwardFlopsPerElement,
                      GLARecurrence.backwardFlopsPerElement)
    }

    func measureDPLR(chunk: Int, repeats: Int) -> RecurrenceBenchResult {
        let s = shape
        let checkpoints = Tensor(zeros: [s.checkpointElements(chunk: chunk)])
        let fwd = median(repeats) {
            DPLRRecurrence.forward(r: q.data, logw: dplrLogw.data, k: k.data, v: v.data, alpha: alpha.data,
                                   beta: beta.data, initialState: nil, output: out.data, finalState: state.data,
                                   shape: s)
        }
        let fb = median(repeats) {
            DPLRRecurrence.forward(r: q.data, logw: dplrLogw.data, k: k.data, v: v.data, alpha: alpha.data,
                                   beta: beta.data, initialState: nil, output: out.data, finalState: state.data,
                                   checkpoints: checkpoints.data, chunk: chunk, shape: s)
            DPLRRecurrence.backward(r: q.data, logw: dplrLogw.data, k: k.data, v: v.data, alpha: alpha.data,
                                    beta: beta.data, checkpoints: checkpoints.data, chunk: chunk,
                                    dOutput: dOut.data, dFinalState: nil,
                                    dr: grads[0].data, dlogw: grads[1].data, dk: grads[2].data, dv: grads[3].data,
                                    dAlpha: grads[4].data, dBeta: grads[5].data, dInitialState: dState.data, shape: s)
        }
        let step = stepMedian(repeats) {
            DPLRRecurrence.step(r: q.data, logw: dplrLogw.data, k: k.data, v: v.data, alpha: alpha.data,
                                beta: beta.data, state: state.data, output: out.data,
                                batch: s.batch, heads: s.heads, headSize: s.headSize)
        }
        return result("dplr", chunk: chunk, fwd, fb, step, DPLRRecurrence.forwardFlopsPerElement,
                      DPLRRecurrence.backwardFlopsPerElement)
    }

    func measureGatedDelta(repeats: Int) -> RecurrenceBenchResult {
        let s = shape, scale = 1 / Float(s.headSize).squareRoot(), chunk = GatedDeltaRecurrence.defaultChunk
        let checkpoints = Tensor(zeros: [s.checkpointElements(chunk: chunk)])
        let fwd = median(repeats) {
            GatedDeltaRecurrence.forward(q: q.data, k: kappa.data, v: v.data, logDecay: headLogDecay.data, beta: headBeta.data,
                                         scale: scale, initialState: nil, output: out.data, finalState: state.data, shape: s)
        }
        let fb = median(repeats) {
            GatedDeltaRecurrence.forward(q: q.data, k: kappa.data, v: v.data, logDecay: headLogDecay.data, beta: headBeta.data,
                                         scale: scale, initialState: nil, output: out.data, finalState: state.data,
                                         checkpoints: checkpoints.data, chunk: chunk, shape: s)
            GatedDeltaRecurrence.backward(q: q.data, k: kappa.data, v: v.data, logDecay: headLogDecay.data, beta: headBeta.data,
                                          scale: scale, checkpoints: checkpoints.data, chunk: chunk,
                                          dOutput: dOut.data, dFinalState: nil, dq: grads[0].data, dk: grads[1].data,
                                          dv: grads[2].data, dLogDecay: grads[3].data, dBeta: grads[4].data,
                                          dInitialState: dState.data, shape: s)
        }
        let step = stepMedian(repeats) {
            GatedDeltaRecurrence.step(q: q.data, k: kappa.data, v: v.data, logDecay: headLogDecay.data, beta: headBeta.data,
                                      scale: scale, state: state.data, output: out.data,
                                      batch: s.batch, heads: s.heads, headSize: s.headSize)
        }
        return result("gated_delta", chunk: chunk, fwd, fb, step, GatedDeltaRecurrence.forwardFlopsPerElement,
                      GatedDeltaRecurrence.backwardFlopsPerElement)
    }

    private func result(_ kernel: String, chunk: Int, _ fwd: Double, _ fb: Double, _ step: Double,
                        _ fwdFlops: Int, _ bwdFlops: Int) -> RecurrenceBenchResult {
        let elements = Double(shape.batch * shape.length * shape.heads * shape.headStateCount)
        return RecurrenceBenchResult(
            kernel: kernel, shape: shape, chunk: chunk, threads: Parallel.threadCount,
            forwardMs: fwd * 1e3, forwardBackwardMs: fb * 1e3, stepUs: step * 1e6,
            forwardGflops: elements * Double(fwdFlops) / fwd / 1e9,
            forwardBackwardGflops: elements * Double(fwdFlops + bwdFlops) / fb / 1e9)
    }

    /// Median seconds of `body` after one warm-up run.
    private func median(_ repeats: Int, _ body: () -> Void) -> Double {
        body()
        var times: [Double] = []
        for _ in 0..<max(1, repeats) {
            let start = DispatchTime.now().uptimeNanoseconds
            body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return times.sorted()[times.count / 2]
    }

    /// Median seconds per call of an inference step, timed over batches of 64 calls.
    private func stepMedian(_ repeats: Int, _ body: () -> Void) -> Double {
        median(repeats) { for _ in 0..<64 { body() } } / 64
    }
}

/// SplitMix64, so benchmark inputs are the same on every run.
private struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func uniform(_ lo: Float, _ hi: Float) -> Float {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return lo + (hi - lo) * Float(z >> 40) / Float(1 << 24)
    }
}

extension RecurrenceBenchResult: Encodable {
    enum CodingKeys: String, CodingKey {
        case kernel, batch, length, heads, headSize = "head_size", chunk, threads
        case forwardMs = "fwd_ms", forwardBackwardMs = "fwd_bwd_ms", stepUs = "step_us"
        case forwardGflops = "fwd_gflops", forwardBackwardGflops = "fwd_bwd_gflops"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kernel, forKey: .kernel)
        try c.encode(shape.batch, forKey: .batch); try c.encode(shape.length, forKey: .length)
        try c.encode(shape.heads, forKey: .heads); try c.encode(shape.headSize, forKey: .headSize)
        try c.encode(chunk, forKey: .chunk); try c.encode(threads, forKey: .threads)
        try c.encode(forwardMs, forKey: .forwardMs); try c.encode(forwardBackwardMs, forKey: .forwardBackwardMs)
        try c.encode(stepUs, forKey: .stepUs)
        try c.encode(forwardGflops, forKey: .forwardGflops); try c.encode(forwardBackwardGflops, forKey: .forwardBackwardGflops)
    }

    /// A Markdown table of results (the rows BENCHMARKS.md quotes).
    public static func table(_ results: [RecurrenceBenchResult]) -> String {
        func f(_ x: Double, _ d: Int) -> String { String(format: "%.\(d)f", x) }
        var lines = ["| kernel | B×T×H×N | chunk | fwd ms | fwd GFLOP/s | fwd+bwd ms | fwd+bwd GFLOP/s | step µs |",
                     "|---|---|---:|---:|---:|---:|---:|---:|"]
        for r in results {
            let s = r.shape
            lines.append("| \(r.kernel) | \(s.batch)×\(s.length)×\(s.heads)×\(s.headSize) | \(r.chunk) | \(f(r.forwardMs, 2)) | "
                         + "\(f(r.forwardGflops, 1)) | \(f(r.forwardBackwardMs, 2)) | \(f(r.forwardBackwardGflops, 1)) | \(f(r.stepUs, 1)) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
