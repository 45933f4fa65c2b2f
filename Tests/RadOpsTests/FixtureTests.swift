import Testing
import Foundation
import RadOps

/// Golden values from PyTorch / HF transformers (float64), made by scripts/fixtures/make_ops_fixtures.py.
@Suite struct FixtureTests {
    static let fixtures: [String: Any] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/ops_fixtures.json")
        guard let data = try? Data(contentsOf: url),
              let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
        return obj
    }()

    static func floats(_ d: [String: Any], _ key: String) -> [Float] { (d[key] as? [Double] ?? []).map(Float.init) }
    static func int(_ d: [String: Any], _ key: String) -> Int { d[key] as? Int ?? -1 }

    @Test func fixturesPresent() {
        #expect(Set(Self.fixtures.keys) == ["attention", "kl", "cross_entropy", "rmsnorm", "adamw"])
    }

    @Test(arguments: [0, 1])
    func ropeAndGQAAttentionMatchPyTorch(_ index: Int) throws {
        let cases = try #require(Self.fixtures["attention"] as? [[String: Any]])
        let c = cases[index]
        let (b, t, h, kvh, n) = (Self.int(c, "B"), Self.int(c, "T"), Self.int(c, "H"), Self.int(c, "KVH"), Self.int(c, "N"))
        let theta = Float(c["theta"] as! Double), offset = Self.int(c, "offset"), sc = Float(c["scale"] as! Double)
        let q = Tensor(shape: [b, t, h, n], values: Self.floats(c, "q"))
        let k = Tensor(shape: [b, t, kvh, n], values: Self.floats(c, "k"))
        let v = Tensor(shape: [b, t, kvh, n], values: Self.floats(c, "v"))
        for x in [q, k, v] { x.requiresGrad = true }
        let tape = Tape()
        let (qr, out) = tape.withRecording { () -> (Tensor, Tensor) in
            let qr = rope(q, positionOffset: offset, theta: theta)
            let kr = rope(k, positionOffset: offset, theta: theta)
            return (qr, causalAttention(q: qr, k: kr, v: v, scale: sc))
        }
        #expect(maxAbsDiff(qr.toArray(), Self.floats(c, "q_roped")) < 1e-5)
        #expect(maxAbsDiff(out.toArray(), Self.floats(c, "out")) < 1e-5)
        tape.backward(out, gradient: Tensor(shape: out.shape, values: Self.floats(c, "dout")))
        #expect(maxAbsDiff(q.grad!.toArray(), Self.floats(c, "dq")) < 1e-5)
        #expect(maxAbsDiff(k.grad!.toArray(), Self.floats(c, "dk")) < 1e-5)
        #expect(maxAbsDiff(v.grad!.toArray(), Self.floats(c, "dv")) < 1e-5)
    }

    @Test func klLossAndStudentGradientMatchPyTorch() throws {
        let c = try #require(Self.fixtures["kl"] as? [String: Any])
        let (n, v) = (Self.int(c, "n"), Self.int(c, "V"))
        let t = Tensor(shape: [n, v], values: Self.floats(c, "teacher"))
        let s = Tensor(shape: [n, v], values: Self.floats(c, "student"), requiresGrad: true)
        let tape = Tape()
        let loss = tape.withRecording { klDivergence(teacherLogits: t, studentLogits: s, chunkSize: 4) }
        #expect(abs(Double(loss.item) - (c["loss"] as! Double)) < 1e-5)
        tape.backward(loss)
        #expect(maxAbsDiff(s.grad!.toArray(), Self.floats(c, "dstudent")) < 1e-6)
    }

    @Test func crossEntropyMatchesPyTorch() throws {
        let c = try #require(Self.fixtures["cross_entropy"] as? [String: Any])
        let (n, v) = (Self.int(c, "n"), Self.int(c, "V"))
        let x = Tensor(shape: [n, v], values: Self.floats(c, "logits"), requiresGrad: true)
        let targets = (c["targets"] as! [Int]).map(Int32.init)
        let tape = Tape()
        let loss = tape.withRecording { crossEntropy(logits: x, targets: targets) }
        #expect(abs(Double(loss.item) - (c["loss"] as! Double)) < 1e-5)
        tape.backward(loss)
        #expect(maxAbsDiff(x.grad!.toArray(), Self.floats(c, "dlogits")) < 1e-6)
    }

    @Test func rmsNormAndGradientsMatchHF() throws {
        let c = try #require(Self.fixtures["rmsnorm"] as? [String: Any])
        let shape = c["shape"] as! [Int]
        let x = Tensor(shape: shape, values: Self.floats(c, "x"), requiresGrad: true)
        let w = Tensor(shape: [shape.last!], values: Self.floats(c, "weight"), requiresGrad: true)
        let tape = Tape()
        let y = tape.withRecording { rmsNorm(x, weight: w, eps: Float(c["eps"] as! Double)) }
        #expect(maxAbsDiff(y.toArray(), Self.floats(c, "y")) < 1e-5)
        tape.backward(y, gradient: Tensor(shape: shape, values: Self.floats(c, "dy")))
        #expect(maxAbsDiff(x.grad!.toArray(), Self.floats(c, "dx")) < 1e-5)
        #expect(maxAbsDiff(w.grad!.toArray(), Self.floats(c, "dweight")) < 1e-5)
    }

    @Test func adamWAndClippingMatchPyTorch() throws {
        let c = try #require(Self.fixtures["adamw"] as? [String: Any])
        let p0 = Tensor(shape: [4, 3], values: Self.floats(c, "p0")), p1 = Tensor(shape: [5], values: Self.floats(c, "p1"))
        let opt = AdamW(groups: [ParamGroup(params: [p0], lr: 1e-2), ParamGroup(params: [p1], lr: 3e-3)],
                        beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1)
        for step in c["grads"] as! [[[Double]]] {
            p0.grad = Tensor(shape: p0.shape, values: step[0].map(Float.init))
            p1.grad = Tensor(shape: p1.shape, values: step[1].map(Float.init))
            opt.step()
        }
        let after = (c["after"] as! [[Double]]).map { $0.map(Float.init) }
        #expect(maxAbsDiff(p0.toArray(), after[0]) < 1e-6)
        #expect(maxAbsDiff(p1.toArray(), after[1]) < 1e-6)

        let grads = (c["clip_grads"] as! [[Double]]).map { $0.map(Float.init) }
        let a = Tensor(zeros: [4, 3]), b = Tensor(zeros: [5])
        a.grad = Tensor(shape: [4, 3], values: grads[0]); b.grad = Tensor(shape: [5], values: grads[1])
        let norm = clipGradNorm([a, b], maxNorm: 1)
        #expect(abs(Double(norm) - (c["clip_norm"] as! Double)) < 1e-5)
        let clipped = (c["clipped"] as! [[Double]]).map { $0.map(Float.init) }
        #expect(maxAbsDiff(a.grad!.toArray(), clipped[0]) < 1e-6)
        #expect(maxAbsDiff(b.grad!.toArray(), clipped[1]) < 1e-6)
    }
}
