import Foundation
import Testing
import RadModelZoo

/// Students against the PyTorch transcription of the spec (scripts/fixtures/make_student_fixtures.py),
/// initialisation per spec §1.1, recurrent state, export round trip.
@Suite struct StudentTests {
    static let fixtureCases = ["rwkv6_default", "rwkv6_ablations", "rwkv6_nogate", "rwkv7_balanced", "rwkv7_groupnorm", "qlinatt", "gdn"]

    @Test(arguments: fixtureCases)
    func releasedLayoutMatchesSpecTranscription(_ name: String) throws {
        let dir = TestPaths.fixture("students/" + name)
        let model = try ModelLoader.load(dir, loadTokenizer: false).model
        #expect(model.student != nil)
        let ids = (jsonObject(dir + "/reference.json")["input_ids"] as! [[Int]]).flatMap { $0 }.map(Int32.init)
        let logits = model.logits(ids, batch: 2).toArray()
        let expected = readFloats(dir + "/reference_logits.f32")
        #expect(maxAbsDifference(logits, expected) < 2e-4)
    }

    @Test(arguments: fixtureCases)
    func chunkedStateEqualsOneCall(_ name: String) throws {
        let model = try ModelLoader.load(TestPaths.fixture("students/" + name), loadTokenizer: false).model
        let ids = testTokens(2 * 9, vocab: model.config.vocabSize, seed: 3)
        let full = model.logits(ids, batch: 2).toArray()
        let state = model.makeInferenceState(batch: 2, capacity: 16)
        // Two rows of 9 tokens fed as 4 + 1 + 4 tokens per row.
        var pieces = [[Float]](repeating: [], count: 2)
        for range in [0..<4, 4..<5, 5..<9] {
            let chunk = Array(ids[range]) + Array(ids[(9 + range.lowerBound)..<(9 + range.upperBound)])
            let out = model.logits(chunk, batch: 2, states: state).toArray()
            let v = model.config.vocabSize, n = range.count * v
            pieces[0] += out[0..<n]; pieces[1] += out[n..<(2 * n)]
        }
        #expect(maxAbsDifference(full, pieces[0] + pieces[1]) < 1e-4)
    }

    static func tinyTeacher() throws -> DecoderModel {
        try ModelLoader.load(TestPaths.fixture("teachers/qwen2_untied_bias"), loadTokenizer: false).model
    }

    @Test(arguments: StudentArchitectures.names)
    func exportLoadRoundTripIsBitIdentical(_ arch: String) throws {
        let teacher = try Self.tinyTeacher()
        let student = try StudentBuilder.convert(teacher: teacher, student: StudentDescriptor(
            architecture: try StudentArchitectures.make(arch)), seed: 5)
        // Perturb every parameter so the round trip covers values the initialisation leaves at zero.
        var rng = InitRNG(seed: 9)
        for p in student.parameters { for i in 0..<p.count { p.data[i] += Float(rng.unit() - 0.5) * 0.1 } }
        let dir = NSTemporaryDirectory() + "rad-export-\(arch)-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try HFExporter.export(student, tokenizer: nil, to: dir)
        let back = try ModelLoader.load(dir, loadTokenizer: false).model
        let ids = testTokens(14, vocab: teacher.config.vocabSize)
        #expect(student.logits(ids, batch: 2).toArray() == back.logits(ids, batch: 2).toArray())
        #expect(back.student?.architecture.name == arch)
    }

    @Test func rwkv6InitialisationFollowsTheSpec() throws {
        let teacher = try Self.tinyTeacher()
        let student = try StudentBuilder.convert(teacher: teacher, student: StudentDescriptor(
            architecture: try StudentArchitectures.make("rad-rwkv6")), seed: 1)
        let layers = teacher.config.numLayers, d = teacher.config.numHeads * teacher.config.headDim
        for l in 0..<layers {
            let p = (student.layers[l].mixer as! RadRWKV6Mixer).table
            let t = teacher.layers[l].mixer as! SoftmaxAttention
            #expect(p["q_proj.weight"].toArray() == t.qProj.toArray())
            #expect(p["k_proj.bias"].toArray() == t.kBias!.toArray())
            #expect(p["o_proj.weight"].toArray() == t.oProj.toArray())
            #expect(p["q_proj.weight"] !== t.qProj, "the student owns copies")
            let r01 = Double(l) / Double(layers - 1)
            for n in [0, d / 2, d - 1] {
                let expected = -6 + 5 * pow(Double(n) / Double(d - 1), 0.7 + 1.3 * r01)
                #expect(abs(Double(p["time_decay"].data[n]) - expected) < 1e-5)
            }
            #expect(p["time_maa_x"].toArray().allSatisfy { $0 == 1 })
            #expect(p["time_maa_w1"].toArray().allSatisfy { $0 == 0 })
            #expect(p["time_decay_w1"].toArray().allSatisfy { $0 == 0 })
            #expect(p["time_maa_w2"].toArray().allSatisfy { abs($0) <= 0.01 })
            #expect(p["gate.weight"].toArray().allSatisfy { $0 == 0 })
        }
        // At initialisation token shift is a no-op and the head is the teacher's.
        #expect(student.lmHead.toArray() == teacher.lmHead.toArray())
    }

    /// The Gated DeltaNet reference layer's ranges: A in (0, 16), dt = softplus(dt_bias) in [0.001, 0.1],
    /// one rate per head; the new projections within nn.Linear's U(±1/√C); the norm weight 1.
    @Test func gdnInitialisationFollowsTheReferenceLayer() throws {
        let teacher = try Self.tinyTeacher()
        let student = try StudentBuilder.convert(teacher: teacher, student: StudentDescriptor(
            architecture: try StudentArchitectures.make("rad-gdn")), seed: 1)
        let p = (student.layers[0].mixer as! RadGDNMixer).table
        let a = p["A_log"].toArray().map { Foundation.exp(Double($0)) }
        let dt = p["dt_bias"].toArray().map { Foundation.log1p(Foundation.exp(Double($0))) }
        #expect(a.allSatisfy { $0 > 0 && $0 < 16 } && Set(a).count == teacher.config.numHeads)
        #expect(dt.allSatisfy { $0 >= 0.001 * 0.999 && $0 <= 0.1 * 1.001 } && zip(dt, dt.dropFirst()).allSatisfy { $0 < $1 })
        let bound = 1 / Float(teacher.config.hiddenSize).squareRoot()
        for name in ["a_proj.weight", "b_proj.weight", "g_proj.weight"] {
            let w = p[name].toArray()
            #expect(w.allSatisfy { abs($0) <= bound } && w.contains { $0 != 0 })
        }
        #expect(p["o_norm.weight"].toArray().allSatisfy { $0 == 1 })
        let t = teacher.layers[0].mixer as! SoftmaxAttention
        #expect(p["q_proj.weight"].toArray() == t.qProj.toArray() && p["o_proj.weight"].toArray() == t.oProj.toArray())
    }

    @Test func rwkv7InitialisationFollowsTheSpec() throws {
        let teacher = try Self.tinyTeacher()
        let student = try StudentBuilder.convert(teacher: teacher, student: StudentDescriptor(
            architecture: try StudentArchitectures.make("rad-rwkv7")), seed: 1)
        let p = (student.layers[1].mixer as! RadRWKV7Mixer).table
        #expect(p["a0"].toArray().allSatisfy { $0 == 0 } && p["a1"].toArray().allSatisfy { $0 == 0 })
        #expect(p["v0"].toArray().allSatisfy { $0 == 1 } && p["k_k"].toArray().allSatisfy { $0 == 0.85 })
        // Orthogonal LoRA B (rank × D, rank ≤ D): rows orthonormal times 0.1.
        let w2 = p["w2"], rank = w2.shape[0], cols = w2.shape[1]
        for i in 0..<rank { for j in 0..<rank {
            var dot = 0.0
            for c in 0..<cols { dot += Double(w2.data[i * cols + c]) * Double(w2.data[j * cols + c]) }
            #expect(abs(dot - (i == j ? 0.01 : 0)) < 1e-5)
        } }
    }

    @Test func initialisationIsDeterministicGivenTheSeed() throws {
        let teacher = try Self.tinyTeacher()
        let arch = try StudentArchitectures.make("rad-rwkv7")
        let a = try StudentBuilder.convert(teacher: teacher, student: StudentDescriptor(architecture: arch), seed: 3)
        let b = try StudentBuilder.convert(teacher: teacher, student: StudentDescriptor(architecture: arch), seed: 3)
        let c = try StudentBuilder.convert(teacher: teacher, student: StudentDescriptor(architecture: arch), seed: 4)
        #expect(zip(a.parameters, b.parameters).allSatisfy { $0.toArray() == $1.toArray() })
        #expect(!zip(a.parameters, c.parameters).allSatisfy { $0.toArray() == $1.toArray() })
    }

    @Test func tiedTeacherIsUntied() throws {
        let teacher = try ModelLoader.load(TestPaths.fixture("teachers/llama_tied_gqa"), loadTokenizer: false).model
        let student = try StudentBuilder.convert(teacher: teacher, student: StudentDescriptor(
            architecture: try StudentArchitectures.make("rad-rwkv6")), seed: 1)
        #expect(!student.isTied)
        #expect(student.lmHead.toArray() == teacher.embedTokens.toArray())
    }

    @Test func hybridKeepsTheLastLayersAsSoftmaxAttention() throws {
        let teacher = try Self.tinyTeacher()
        let student = try StudentBuilder.convert(teacher: teacher, student: StudentDescriptor(
            architecture: try StudentArchitectures.make("rad-rwkv7"), softmaxLayers: 1), seed: 1)
        #expect(student.layers.last!.mixer is SoftmaxAttention)
        #expect(student.layers.first!.mixer is RadRWKV7Mixer)
        let ids = testTokens(6, vocab: teacher.config.vocabSize)
        let full = student.logits(ids, batch: 1).toArray()
        let state = student.makeInferenceState(batch: 1, capacity: 8)
        let split = student.logits(Array(ids[0..<3]), batch: 1, states: state).toArray()
            + student.logits(Array(ids[3...]), batch: 1, states: state).toArray()
        #expect(maxAbsDifference(full, split) < 1e-4)
    }

    @Test func badOptionsAreRejectedClearly() {
        #expect(throws: StudentError.self) { try StudentArchitectures.make("rad-rwkv9") }
        do {
            _ = try StudentArchitectures.make("rad-rwkv6", options: ["tokenshfit": .bool(true)])
            Issue.record("expected an error")
        } catch { #expect("\(error)".contains("unknown option 'tokenshfit'")) }
        do {
            _ = try StudentArchitectures.make("rad-rwkv6", options: ["gate": .string("wide")])
            Issue.record("expected an error")
        } catch { #expect("\(error)".contains("must be one of full, low_rank, none")) }
    }

    @Test func loraRankRuleMatchesTheSpecTable() {
        // spec §2.1: (C, decay&iclr, value residual, gate)
        for (c, decay, value, gate) in [(896, 64, 32, 128), (1536, 64, 64, 224), (3584, 96, 64, 416), (8192, 160, 128, 800)] {
            #expect(radladsLoRARank(hidden: c, exponent: 0.5, multiplier: 1.8) == decay)
            #expect(radladsLoRARank(hidden: c, exponent: 0.5, multiplier: 1.3) == value)
            #expect(radladsLoRARank(hidden: c, exponent: 0.8, multiplier: 0.6) == gate)
        }
    }
}
