import RadOps

/// What makes a `DecoderModel` a student: its architecture and which layers keep softmax attention
/// (hybrids; none for the paper's pure recurrent models).
public struct StudentDescriptor: Sendable {
    public var architecture: any StudentArchitecture
    public var softmaxLayers: SoftmaxLayers
    public init(architecture: any StudentArchitecture, softmaxLayers: SoftmaxLayers = .last(0)) {
        self.architecture = architecture; self.softmaxLayers = softmaxLayers
    }

    /// The option every architecture has (`ArchitectureOption.softmaxLayers`).
    public static let softmaxLayersOption = "softmax_layers"

    /// A student as a manifest states it: an architecture name and its options, `softmax_layers` included.
    public init(architecture name: String, options: [String: OptionValue]) throws {
        var rest = options
        var layers = SoftmaxLayers.last(0)
        if let v = rest.removeValue(forKey: Self.softmaxLayersOption) {
            guard case .int(let n) = v, n >= 0 else { throw StudentError("\(name): option 'softmax_layers' must be a non-negative integer, got '\(v)'") }
            layers = .last(n)
        }
        self.init(architecture: try StudentArchitectures.make(name, options: rest), softmaxLayers: layers)
    }

    /// Whether layer `l` of `layers` is a recurrent (student) layer.
    public func isRecurrent(layer l: Int, of layers: Int) -> Bool { !softmaxLayers.contains(l, of: layers) }
}

/// The RADLADS "Setup" step (spec §1.1): a student that is an exact copy of the teacher except that
/// each attention block becomes the architecture's mixer, keeping the teacher's q/k/v/o (and biases)
/// and initialising every new parameter as the reference code does. A tied head is untied.
public enum StudentBuilder {
    public static func convert(teacher: DecoderModel, student: StudentDescriptor, seed: UInt64) throws -> DecoderModel {
        let config = teacher.config
        let layers = config.numLayers
        if let problem = student.softmaxLayers.problem(layers: layers) { throw StudentError(problem) }
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

    /// Gives layers `chosen` of `student` back the teacher's softmax attention (copies of its q/k/v/o,
    /// which the student's mixers may have trained away from): a hybrid whose softmax layers were
    /// chosen by measurement (`softmax_layers: { auto: K }`). The rest of the student is untouched.
    public static func keepSoftmaxAttention(layers chosen: [Int], in student: DecoderModel, teacher: DecoderModel) throws {
        guard let descriptor = student.student else { throw StudentError("only a student's layers can be given back softmax attention") }
        let layers = student.config.numLayers
        let all = Set(descriptor.softmaxLayers.indices(of: layers) + chosen)
        let softmax = SoftmaxLayers.choice(Array(all), of: layers)
        if let problem = softmax.problem(layers: layers) { throw StudentError(problem) }
        var teacherTensors: [String: Tensor] = [:]
        for t in teacher.parameters { if let n = t.name { teacherTensors[n] = t } }
        for l in chosen where descriptor.isRecurrent(layer: l, of: layers) {
            student.layers[l].mixer = try DecoderAssembler.softmaxAttention(config: student.config, layer: l) { name, shape in
                guard let src = teacherTensors[name], src.count == shape.reduce(1, *) else { throw StudentError("teacher has no tensor '\(name)' of shape \(shape)") }
                let t = Tensor(zeros: shape)
                t.data.update(from: src.data, count: t.count)
                return t
            }
        }
        student.student?.softmaxLayers = softmax
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
