import RadModelZoo
import RadOps
import Foundation
import CBLAS

/// One measured line of `rad bench`: our op next to its reference, both as a rate (GFLOP/s or GB/s).
public struct BenchRow: Codable, Sendable {
    public let group: String      // "gemm" or "bandwidth"
    public let name: String
    public let shape: String
    public let unit: String       // "GFLOP/s" or "GB/s"
    public let ours: Double
    public let reference: Double
    public let referenceName: String
    public var ratio: Double { reference > 0 ? ours / reference : 0 }

    enum CodingKeys: String, CodingKey { case group, name, shape, unit, ours, reference, referenceName, ratio }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(group, forKey: .group); try c.encode(name, forKey: .name); try c.encode(shape, forKey: .shape)
        try c.encode(unit, forKey: .unit); try c.encode(ours, forKey: .ours); try c.encode(reference, forKey: .reference)
        try c.encode(referenceName, forKey: .referenceName); try c.encode(ratio, forKey: .ratio)
    }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        group = try c.decode(String.self, forKey: .group); name = try c.decode(String.self, forKey: .name)
        shape = try c.decode(String.self, forKey: .shape); unit = try c.decode(String.self, forKey: .unit)
        ours = try c.decode(Double.self, forKey: .ours); reference = try c.decode(Double.self, forKey: .reference)
        referenceName = try c.decode(String.self, forKey: .referenceName)
    }
    public init(group: String, name: String, shape: String, unit: String, ours: Double, reference: Double, referenceName: String) {
        self.group = group; self.name = name; self.shape = shape; self.unit = unit
        self.ours = ours; self.reference = reference; self.referenceName = referenceName
    }
}

/// Benchmarks of the RadOps kernels against their ceilings: GEMM-backed ops against raw `cblas_sgemm`
/// on the SmolLM2-135M matmul shapes, and elementwise/norm ops against `memcpy` of the same size.
/// Ours and the reference run alternately inside each repetition so both see the same machine load;
/// rates are computed from the median time.
public enum KernelBench {
    public struct Options: Sendable {
        public var tokens = 2048            // 4 × 512
        public var repetitions = 5
        public var bandwidthShapes: [(rows: Int, cols: Int)] = [(2048, 1536), (8192, 1536)]
        /// Linear layers (name, in, out) of the teacher.
        public var layers: [(name: String, inDim: Int, outDim: Int)] = [
            ("q_proj/o_proj", 576, 576), ("k_proj/v_proj", 576, 192), ("gate/up_proj", 576, 1536),
            ("down_proj", 1536, 576), ("lm_head", 576, 49152),
        ]
        public init() {}
    }

    /// Median wall time (seconds) of `reps` runs of each closure, interleaved.
    public static func medianTimes(reps: Int, _ a: () -> Void, _ b: () -> Void) -> (Double, Double) {
        a(); b()  // warm-up: page faults, OpenBLAS buffers
        var ta: [Double] = [], tb: [Double] = []
        for _ in 0..<max(1, reps) {
            ta.append(time(a)); tb.append(time(b))
        }
        return (median(ta), median(tb))
    }

    static func time(_ f: () -> Void) -> Double {
        let t0 = DispatchTime.now().uptimeNanoseconds
        f()
        return Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9
    }

    static func median(_ xs: [Double]) -> Double {
        let s = xs.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    static func random(_ shape: [Int], seed: UInt64) -> Tensor {
        var state = seed
        return Tensor(shape: shape) { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int32(truncatingIfNeeded: state >> 33)) / Float(Int32.max)
        }
    }

    /// Forward `x·Wᵀ` (the `linear` op) and its backward (the tape's dX and dW GEMMs) against the same
    /// GEMMs called directly.
    public static func gemm(_ o: Options) -> [BenchRow] {
        var rows: [BenchRow] = []
        let m = o.tokens
        for layer in o.layers {
            let (k, n) = (layer.inDim, layer.outDim)
            let x = random([m, k], seed: 1), w = random([n, k], seed: 2), dy = random([m, n], seed: 3)
            let c = Tensor(zeros: [m, n]), dx = Tensor(zeros: [m, k]), dw = Tensor(zeros: [n, k])
            let flops = 2.0 * Double(m) * Double(n) * Double(k)
            let shape = "[\(m)x\(k)]·[\(n)x\(k)]ᵀ"
            let (fo, fr) = medianTimes(reps: o.repetitions, { _ = linear(x, weight: w) }, {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k), 1, x.data, Int32(k),
                            w.data, Int32(k), 0, c.data, Int32(n))
            })
            rows.append(BenchRow(group: "gemm", name: "\(layer.name) forward", shape: shape, unit: "GFLOP/s",
                                 ours: flops / fo * 1e-9, reference: flops / fr * 1e-9, referenceName: "cblas_sgemm"))
            let (bo, br) = medianTimes(reps: o.repetitions, {
                x.requiresGrad = true; w.requiresGrad = true; x.grad = nil; w.grad = nil
                let tape = Tape()
                let y = tape.withRecording { linear(x, weight: w) }
                tape.backward(y, gradient: dy)   // only this and the GEMMs inside are the op's backward
            }, {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(k), Int32(n), 1, dy.data, Int32(n),
                            w.data, Int32(k), 0, dx.data, Int32(k))
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(n), Int32(k), Int32(m), 1, dy.data, Int32(n),
                            x.data, Int32(k), 0, dw.data, Int32(k))
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k), 1, x.data, Int32(k),
                            w.data, Int32(k), 0, c.data, Int32(n))
            })
            x.requiresGrad = false; w.requiresGrad = false; x.grad = nil; w.grad = nil
            rows.append(BenchRow(group: "gemm", name: "\(layer.name) forward+backward", shape: shape, unit: "GFLOP/s",
                                 ours: 3 * flops / bo * 1e-9, reference: 3 * flops / br * 1e-9, referenceName: "3× cblas_sgemm"))
        }
        return rows
    }

    /// Elementwise and norm ops (allocating their output, as models call them) against a single-threaded
    /// `memcpy` of one operand, in GB/s of compulsory traffic (inputs read + output written).
    public static func bandwidth(_ o: Options) -> [BenchRow] {
        var rows: [BenchRow] = []
        for (r, c) in o.bandwidthShapes {
            let a = random([r, c], seed: 4), b = random([r, c], seed: 5), w = random([c], seed: 6)
            let dst = Tensor(zeros: [r, c])
            let bytes = Double(r * c * 4)
            let shape = "\(r)x\(c)"
            let rstd = Tensor(zeros: [r]), n = r * c
            // "op" rows allocate their output as models call them; "kernel" rows write into a preallocated
            // buffer and so measure the kernel alone (the difference is the allocator: see BENCHMARKS.md).
            let cases: [(String, Double, () -> Void)] = [
                ("add op", 3, { _ = add(a, b) }),
                ("add op (bias [C])", 2, { _ = add(a, w) }),
                ("mul op", 3, { _ = mul(a, b) }),
                ("silu op", 2, { _ = silu(a) }),
                ("swiGLU op", 3, { _ = swiGLU(gate: a, up: b) }),
                ("rmsNorm op", 2, { _ = rmsNorm(a, weight: w, eps: 1e-5) }),
                ("add kernel", 3, { ElementwiseKernels.binary(.add, a.data, b.data, dst.data, count: n, bCount: n) }),
                ("mul kernel", 3, { ElementwiseKernels.binary(.mul, a.data, b.data, dst.data, count: n, bCount: n) }),
                ("silu kernel", 2, { ElementwiseKernels.unary(.silu, a.data, dst.data, count: n) }),
                ("swiGLU kernel", 3, { ElementwiseKernels.swiGLU(gate: a.data, up: b.data, out: dst.data, count: n) }),
                ("rmsNorm kernel", 2, {
                    NormKernels.rmsNorm(x: a.data, weight: w.data, out: dst.data, rstd: rstd.data, rows: r, c: c, eps: 1e-5)
                }),
            ]
            for (name, streams, body) in cases {
                let (to, tr) = medianTimes(reps: o.repetitions, body, { memcpy(dst.data, a.data, r * c * 4) })
                rows.append(BenchRow(group: "bandwidth", name: name, shape: shape, unit: "GB/s",
                                     ours: streams * bytes / to * 1e-9, reference: 2 * bytes / tr * 1e-9,
                                     referenceName: "memcpy"))
            }
        }
        return rows
    }

    /// Composite ops of the teacher and the distillation loss: causal GQA attention (SmolLM2: 9 query
    /// heads, 3 kv heads, N = 64, 4 × 512 tokens) against its GEMMs per head called raw on the whole
    /// [T, T] score matrix (what the unblocked kernel computed), and the chunked KL loss over
    /// [2048, 49152] logits against memcpy (it must read both logit tensors). Attention rates count
    /// useful FLOPs only, the causal half: T(T+1)/2 scores per head, 2 per multiply-add, for each GEMM
    /// (2 forward; 4 more backward: dV, dP, dQ, dK; the blocked backward's recomputed scores not counted).
    /// A ratio above 100% means faster than the full-square GEMMs alone.
    public static func composite(_ o: Options) -> [BenchRow] {
        var rows: [BenchRow] = []
        let a = AttentionBenchCase(o)
        let (ta, tr) = medianTimes(reps: o.repetitions, { _ = causalAttention(q: a.q, k: a.k, v: a.v, scale: 0.125) },
                                   { a.rawGemms(backward: false) })
        rows.append(BenchRow(group: "composite", name: "causalAttention forward", shape: a.shape, unit: "GFLOP/s",
                             ours: 2 * a.flopsPerGemm / ta * 1e-9, reference: 2 * a.flopsPerGemm / tr * 1e-9,
                             referenceName: "its 2 full sgemm per head"))
        rows += attentionBackward(a, o)
        let rowsKL = o.tokens, vocab = o.layers.last?.outDim ?? 49152
        let teacher = random([rowsKL, vocab], seed: 10), student = random([rowsKL, vocab], seed: 11)
        let bytes = Double(rowsKL * vocab * 4)
        let (tk, tm) = medianTimes(reps: o.repetitions, {
            _ = klDivergence(teacherLogits: teacher, studentLogits: student)
        }, { memcpy(student.data, teacher.data, rowsKL * vocab * 4) })
        rows.append(BenchRow(group: "composite", name: "klDivergence forward", shape: "\(rowsKL)x\(vocab)", unit: "GB/s",
                             ours: 2 * bytes / tk * 1e-9, reference: 2 * bytes / tm * 1e-9, referenceName: "memcpy"))
        return rows
    }

    /// The attention backward on `composite`'s shape: forward (recording) and backward through the tape
    /// against the 6 full-square GEMMs per head, useful FLOPs counted as there (6 causal-half GEMMs).
    static func attentionBackward(_ a: AttentionBenchCase, _ o: Options) -> [BenchRow] {
        let (q, k, v) = (a.q, a.k, a.v)
        let (tb, trb) = medianTimes(reps: o.repetitions, {
            for x in [q, k, v] { x.requiresGrad = true; x.grad = nil }
            let tape = Tape()
            let y = tape.withRecording { causalAttention(q: q, k: k, v: v, scale: 0.125) }
            tape.backward(y, gradient: a.dOut)
        }, { a.rawGemms(backward: true) })
        for x in [q, k, v] { x.requiresGrad = false; x.grad = nil }
        return [BenchRow(group: "composite", name: "causalAttention forward+backward", shape: a.shape, unit: "GFLOP/s",
                         ours: 6 * a.flopsPerGemm / tb * 1e-9, reference: 6 * a.flopsPerGemm / trb * 1e-9,
                         referenceName: "its 6 full sgemm per head")]
    }

    /// Markdown table of `rows`.
    public static func table(_ rows: [BenchRow]) -> String {
        var s = "| op | shape | ours | reference | ratio |\n|---|---|---:|---:|---:|\n"
        for r in rows {
            s += "| \(r.name) | \(r.shape) | \(String(format: "%.1f", r.ours)) \(r.unit) | "
            s += "\(String(format: "%.1f", r.reference)) (\(r.referenceName)) | \(String(format: "%.0f%%", r.ratio * 100)) |\n"
        }
        return s
    }
}

/// The SmolLM2 attention shape of `KernelBench.composite` with its inputs, and the full-square GEMMs per
/// head that the attention rows compare with.
struct AttentionBenchCase {
    let b, t, h, kvh, n: Int
    let q, k, v, dOut, p, ds, out, dq, dk, dv: Tensor
    /// Useful FLOPs of one GEMM over the causal half, all heads.
    var flopsPerGemm: Double { Double(b * h) * 2 * Double(t * (t + 1) / 2 * n) }
    var shape: String { "B\(b) T\(t) H\(h)/\(kvh) N\(n)" }

    init(_ o: KernelBench.Options) {
        (b, t, h, kvh, n) = (max(1, o.tokens / 512), min(512, o.tokens), 9, 3, 64)
        q = KernelBench.random([b, t, h, n], seed: 7); k = KernelBench.random([b, t, kvh, n], seed: 8)
        v = KernelBench.random([b, t, kvh, n], seed: 9); dOut = KernelBench.random([b, t, h, n], seed: 12)
        p = Tensor(zeros: [t, t]); ds = Tensor(zeros: [t, t]); out = Tensor(zeros: [b, t, h, n])
        dq = Tensor(zeros: q.shape); dk = Tensor(zeros: k.shape); dv = Tensor(zeros: v.shape)
    }

    /// The full-square GEMMs of one head: scores, P·V, and for the backward Pᵀ·dO, dO·Vᵀ, dS·K, dSᵀ·Q.
    func rawGemms(backward: Bool) {
        for bi in 0..<b {
            for hi in 0..<h {
                let qo = bi * t * h * n + hi * n, ko = bi * t * kvh * n + (hi / (h / kvh)) * n
                let (ldq, ldk) = (Int32(h * n), Int32(kvh * n))
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(t), Int32(t), Int32(n), 0.125, q.data + qo,
                            ldq, k.data + ko, ldk, 0, p.data, Int32(t))
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(t), Int32(n), Int32(t), 1, p.data, Int32(t),
                            v.data + ko, ldk, 0, out.data + qo, ldq)
                guard backward else { continue }
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(t), Int32(n), Int32(t), 1, p.data, Int32(t),
                            dOut.data + qo, ldq, 1, dv.data + ko, ldk)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(t), Int32(t), Int32(n), 1, dOut.data + qo,
                            ldq, v.data + ko, ldk, 0, ds.data, Int32(t))
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(t), Int32(n), Int32(t), 0.125, ds.data,
                            Int32(t), k.data + ko, ldk, 1, dq.data + qo, ldq)
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(t), Int32(n), Int32(t), 0.125, ds.data,
                            Int32(t), q.data + qo, ldq, 1, dk.data + ko, ldk)
            }
        }
    }
}
