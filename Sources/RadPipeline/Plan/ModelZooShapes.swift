import Foundation
import RadModelZoo

/// The planner's model sizes from the model zoo, without loading weights: the teacher's from a GGUF
/// header (metadata only; the file is memory-mapped, tensor data is never touched) or an HF
/// `config.json`, the student's from its architecture's parameter specs.
///
/// `parameters` counts the weights a token meets in matrix products and norms: every decoder layer, the
/// final norm and the output head. The embedding lookup is left out (it does no arithmetic), so a tied
/// and an untied model of the same shape get the same count and 6·N·tokens is the training cost.
public final class ModelZooShapes: ModelShapeProvider {
    /// Teacher configurations read so far, so `studentShape` can build the student's specs.
    private var configs: [ModelShape: TransformerConfig] = [:]

    public init() {}

    public func teacherShape(source: String, format: String) throws -> ModelShape? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: source, isDirectory: &isDirectory) else { return nil }
        let config: TransformerConfig
        if format == "hf" || (format == "auto" && isDirectory.boolValue) {
            config = try TransformerConfig.load(hfConfigAt: (source as NSString).appendingPathComponent("config.json"))
        } else {
            config = try TransformerConfig.fromGGUF(GGUFFile(path: source))
        }
        let shape = Self.shape(config) { _ in Self.attentionParameters(config) }
        configs[shape] = config
        return shape
    }

    public func studentShape(_ student: StudentDescriptor, teacher: ModelShape) -> ModelShape? {
        guard let config = configs[teacher] else { return teacher }
        let layers = config.numLayers
        return Self.shape(config) { layer in
            guard student.isRecurrent(layer: layer, of: layers) else { return Self.attentionParameters(config) }
            return student.architecture.specs(config: config, layer: layer, layers: layers).reduce(Int64(0)) { $0 + Int64($1.shape.reduce(1, *)) }
        }
    }

    /// Layers (their mixer from `mixer`, the SwiGLU MLP, two norms), the final norm and the head.
    static func shape(_ c: TransformerConfig, mixer: (Int) -> Int64) -> ModelShape {
        let h = Int64(c.hiddenSize)
        let perLayerRest = 3 * h * Int64(c.intermediateSize) + 2 * h
        let mixers = (0..<c.numLayers).reduce(Int64(0)) { $0 + mixer($1) }
        let layers = mixers + Int64(c.numLayers) * perLayerRest
        return ModelShape(parameters: layers + h + Int64(c.vocabSize) * h, layers: c.numLayers,
                          hidden: c.hiddenSize, vocabulary: c.vocabSize, mixerParameters: mixers)
    }

    /// Softmax attention: q/k/v/o projections and the q/k/v biases when the config has them.
    static func attentionParameters(_ c: TransformerConfig) -> Int64 {
        let h = Int64(c.hiddenSize), q = Int64(c.numHeads * c.headDim), kv = Int64(c.numKVHeads * c.headDim)
        return 2 * h * q + 2 * h * kv + (c.attentionBias ? q + 2 * kv : 0)
    }
}
