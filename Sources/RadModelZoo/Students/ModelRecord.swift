import Foundation
import RadOps

extension OptionValue: Codable {
    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int.self) { self = .int(i) }
        else { self = .string(try c.decode(String.self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self { case .bool(let b): try c.encode(b); case .int(let i): try c.encode(i); case .string(let s): try c.encode(s) }
    }
}

/// rad's own, versioned description of a model, stored beside its weights in the pipeline's model
/// artifacts (`student.json`): the transformer's shape and, for a student, its architecture, options and
/// softmax layers, typed. HF `config.json` is only written at export and read at import, so a model
/// crosses the pipeline's steps without being re-spelt in HF conventions.
public struct ModelRecord: Codable, Equatable, Sendable {
    public static let fileName = "student.json"
    public static let currentVersion = 1

    public struct Student: Codable, Equatable, Sendable {
        public var architecture: String
        /// As a manifest writes them (`StudentArchitecture.options`).
        public var options: [String: OptionValue]
        /// The last N layers as an integer, or the list of a measured choice.
        public var softmaxLayers: SoftmaxLayers
        enum CodingKeys: String, CodingKey { case architecture, options, softmaxLayers = "softmax_layers" }
    }

    public var version: Int
    /// The shape; `tieWordEmbeddings` says whether this model's head is its embedding table.
    public var transformer: TransformerConfig
    public var student: Student?

    public init(_ model: DecoderModel) {
        version = Self.currentVersion
        transformer = model.config
        transformer.tieWordEmbeddings = model.isTied
        student = model.student.map { Student(architecture: $0.architecture.name, options: $0.architecture.options,
                                              softmaxLayers: $0.softmaxLayers) }
    }

    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }

    /// Reads a record, refusing versions this rad does not know (naming `origin`).
    public static func decode(_ data: Data, origin: String) throws -> ModelRecord {
        struct Versioned: Decodable { var version: Int }
        guard let v = try? JSONDecoder().decode(Versioned.self, from: data) else {
            throw ConfigError(origin: origin, key: "version", "not a rad model record")
        }
        guard v.version == currentVersion else {
            throw ConfigError(origin: origin, key: "version", "model record version \(v.version); this rad reads version \(currentVersion)")
        }
        do { return try JSONDecoder().decode(ModelRecord.self, from: data) }
        catch { throw ConfigError(origin: origin, key: fileName, "unreadable model record: \(error)") }
    }

    /// The model this record describes, every tensor from `weights`, strictly.
    public func model(weights: any WeightSource, origin: String) throws -> DecoderModel {
        try transformer.validate(origin: origin)
        guard let s = student else { return try ModelLoader.teacher(config: transformer, weights: weights) }
        let descriptor: StudentDescriptor
        do {
            descriptor = StudentDescriptor(architecture: try StudentArchitectures.make(s.architecture, options: s.options),
                                           softmaxLayers: s.softmaxLayers)
        } catch { throw ConfigError(origin: origin, key: "student", "\(error)") }
        return try ModelLoader.student(config: transformer, student: descriptor, weights: weights)
    }
}
