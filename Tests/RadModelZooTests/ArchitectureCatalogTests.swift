import Foundation
import RadOps
import Testing
import RadModelZoo

/// The manifest validator's catalog (descriptors) and the implementations must agree: every
/// architecture a manifest may name exists, and accepts every option the catalog lists at its default.
@Suite struct ArchitectureCatalogTests {
    @Test func catalogAndImplementationsAgree() throws {
        #expect(Set(ArchitectureCatalog.names) == Set(StudentArchitectures.names))
        for descriptor in ArchitectureCatalog.all {
            var options: [String: OptionValue] = [:]
            for option in descriptor.options where option.name != "softmax_layers" {
                switch option.defaultValue {
                case .bool(let b): options[option.name] = .bool(b)
                case .word(let w): options[option.name] = .string(w)
                case .int(let i): options[option.name] = .int(Int(i))
                case .auto: options[option.name] = .string("auto")
                }
            }
            let architecture = try StudentArchitectures.make(descriptor.name, options: options)
            #expect(architecture.name == descriptor.name)
        }
    }
}

/// An architecture is one file: its manifest name and HF `model_type` are spelt nowhere in Sources but
/// in the file that declares it (everything else reaches it through `StudentArchitectures.registry`).
@Suite struct ArchitectureOwnershipTests {
    @Test func namesAppearOnlyInTheirOwnFile() throws {
        let sources = Repo.root.appendingPathComponent("Sources")
        let files = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)!
            .compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" }
        let texts = try files.map { ($0.lastPathComponent, try String(contentsOf: $0, encoding: .utf8)) }
        for type in StudentArchitectures.registry {
            let owners = texts.filter { $0.1.contains("static let name = \"\(type.name)\"") }.map(\.0)
            #expect(owners.count == 1, "\(type.name) is declared in \(owners)")
            for spelling in [type.name, type.hfModelType, type.hfArchitecture] {
                let users = texts.filter { $0.1.contains("\"\(spelling)\"") }.map(\.0)
                #expect(users == owners, "\"\(spelling)\" is spelt in \(users), not only in \(owners)")
            }
        }
    }
}

/// `student.json`: rad's own record of a model, between the pipeline's steps.
@Suite struct ModelRecordTests {
    static func student(_ arch: String, softmaxLayers: Int = 0) throws -> DecoderModel {
        let teacher = try ModelLoader.load(TestPaths.fixture("teachers/qwen2_untied_bias"), loadTokenizer: false).model
        return try StudentBuilder.convert(teacher: teacher, student: StudentDescriptor(
            architecture: try StudentArchitectures.make(arch, options: arch == "rad-rwkv6" ? ["gate": .string("low_rank")] : [:]),
            softmaxLayers: .last(softmaxLayers)), seed: 3)
    }

    @Test(arguments: StudentArchitectures.names)
    func recordAndWeightsRebuildTheModelExactly(_ arch: String) throws {
        let model = try Self.student(arch, softmaxLayers: 1)
        var rng = InitRNG(seed: 4)
        for p in model.parameters { for i in 0..<p.count { p.data[i] += Float(rng.unit() - 0.5) * 0.1 } }
        let data = try ModelRecord(model).encoded()
        let record = try ModelRecord.decode(data, origin: "test")
        #expect(record.student?.architecture == arch && record.student?.softmaxLayers == 1)
        var tensors: [String: Tensor] = [:]
        for t in HFExporter.storedTensors(model) { tensors[t.name!] = t }
        let back = try record.model(weights: InMemoryWeights(tensors, origin: "test"), origin: "test")
        let ids = testTokens(14, vocab: model.config.vocabSize)
        #expect(model.logits(ids, batch: 2).toArray() == back.logits(ids, batch: 2).toArray())
        #expect(back.student?.architecture.options == model.student?.architecture.options)
    }

    @Test func unknownVersionsAndArchitecturesAreRefusedNamingTheOrigin() throws {
        var json = try JSONSerialization.jsonObject(with: ModelRecord(try Self.student("rad-rwkv7")).encoded()) as! [String: Any]
        json["version"] = 99
        #expect(throws: ConfigError.self) { try ModelRecord.decode(try JSONSerialization.data(withJSONObject: json), origin: "cache entry 1234") }
        do { _ = try ModelRecord.decode(try JSONSerialization.data(withJSONObject: json), origin: "cache entry 1234") }
        catch { #expect("\(error)".contains("cache entry 1234") && "\(error)".contains("version 99")) }
        #expect(throws: ConfigError.self) { try ModelRecord.decode(Data("[1, 2]".utf8), origin: "x") }
    }
}
