import RadOps

/// What makes a `DecoderModel` a student: its architecture and how many final layers keep softmax
/// attention (hybrids; 0 for the paper's pure recurrent models).
public struct StudentDescriptor: Sendable {
    public var architecture: any StudentArchitecture
    public var softmaxLayers: Int
    public init(architecture: any StudentArchitecture, softmaxLayers: Int = 0) {
        self.architecture = architecture; self.softmaxLayers = softmaxLayers
    }

    /// The option every architecture has (`ArchitectureOption.softmaxLayers`).
    public static let softmaxLayersOption = "softmax_layers"

    /// A student as a manifest states it: an architecture name and its options, `softmax_layers` included.
    public init(architecture name: String, options: [String: OptionValue]) throws {
        var rest = options
        var layers = 0
        if let v = rest.removeValue(forKey: Self.softmaxLayersOption) {
            guard case .int(let n) = v, n >= 0 else { throw StudentError("\(name): option 'softmax_layers' must be a non-negative integer, got '\(v)'") }
            layers = n
        }
        self.init(architecture: try StudentArchitectures.make(name, options: rest), softmaxLayers: layers)
    }

    /// The options as a manifest writes them, `softmax_layers` included.
    public var options: [String: OptionValue] {
        var o = architecture.options
        o[Self.softmaxLayersOption] = .int(softmaxLayers)
        return o
    }

    /// Whether layer `l` of `layers` is a recurrent (student) layer.
    public func isRecurrent(layer l: Int, of layers: Int) -> Bool { l < layers - softmaxLayers }
}

/// The RADLADS "Setup" step (spec §1.1): a student that is an exact copy of the teacher except that
/// each attention block becomes the architecture's mixer, keeping the teacher's q/k/v/o (and biases)
/// and initialising every new parameter as the reference code does. A tied head is untied.
public enum StudentBuilder {
    public static func convert(teacher: DecoderModel, student: StudentDescriptor, seed: UInt64) throws -> DecoderModel {
        let config = teacher.config
        let layers = config.numLayers
        guard student.softmaxLayers >= 0 && student.softmaxLayers <= layers else {
            throw StudentError("softmax_layers must be between 0 and \(layers), got \(student.softmaxLayers)")
        }
        var teacherTensors: [String: Tensor] = [:]
        for t in teacher.parameters { if let n = t.name { teacherTensors[n] = t } }
        if teacher.isTied { teacherTensors["lm_head.weight"] = teacher.embedTokens }
        let copyOf: DecoderAssembler.TensorProvider = { name, shape in
            guard let src = teacherTensors[name] else { throw StudentError("teacher has no tensor '\(name)'") }
            guard src.shape.reduce(1, *) == shape.reduce(1, *) else {
                throw StudentError("teacher tensor '\(name)' has shape \(src.shape), expected \(shape)")
            }
            let t = Tensor(zeros: shape)
            t.data.update(from: src.data, count: t.count)
            return t
        }
        let root = InitRNG(seed: seed)
        let model = try DecoderAssembler.build(config: config, tiedHead: false, tensor: copyOf) { l in
            guard student.isRecurrent(layer: l, of: layers) else {
                return try DecoderAssembler.softmaxAttention(config: config, layer: l, tensor: copyOf)
            }
            let table = ParameterTable(prefix: "model.layers.\(l).self_attn.")
            for spec in student.architecture.specs(config: config, layer: l, layers: layers) {
                var rng = root.derived("\(l).\(spec.name)")
                table.set(spec.name, Initializers.make(spec, rng: &rng) { teacherTensors[$0] })
            }
            return student.architecture.makeMixer(config: config, layer: l, parameters: table)
        }
        model.student = student
        return model
    }

    /// A student whose every tensor comes from `tensor` (an exported or released checkpoint).
    public static func load(config: TransformerConfig, student: StudentDescriptor, tiedHead: Bool,
                            tensor: DecoderAssembler.TensorProvider) throws -> DecoderModel {
        let layers = config.numLayers
        let model = try DecoderAssembler.build(config: config, tiedHead: tiedHead, tensor: tensor) { l in
            guard student.isRecurrent(layer: l, of: layers) else {
                return try DecoderAssembler.softmaxAttention(config: config, layer: l, tensor: tensor)
            }
            let table = ParameterTable(prefix: "model.layers.\(l).self_attn.")
            for spec in student.architecture.specs(config: config, layer: l, layers: layers) {
                table.set(spec.name, try tensor(table.prefix + spec.name, spec.shape))
            }
            return student.architecture.makeMixer(config: config, layer: l, parameters: table)
        }
        model.student = student
        return model
    }
}
