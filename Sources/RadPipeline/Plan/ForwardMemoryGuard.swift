import RadOps
import Foundation
import RadModelZoo

/// A command-line window (`rad score --seq-len`, `rad generate --max-tokens`) too large for the memory
/// there is: invalid input (exit 2), refused before the allocation that would abort the process.
public struct MemoryLimitError: InvalidInputError {
    public let description: String
}

/// Checks what the model verbs are about to allocate for a window the user sized (with the loaded model's
/// weights) against the machine's memory.
public enum ForwardMemoryGuard {
    /// `model`'s shape, as the planner counts it (embedding table left out of `parameters`).
    static func shape(_ model: DecoderModel) -> ModelShape {
        let c = model.config
        return ModelShape(parameters: Int64(model.parameterCount) - Int64(c.vocabSize) * Int64(c.hiddenSize),
                          layers: c.numLayers, hidden: c.hiddenSize, vocabulary: c.vocabSize)
    }

    /// A forward pass over `windows` windows of `window` tokens (`rad score`'s batch).
    public static func requireForward(model: DecoderModel, windows: Int, window: Int, option: String,
                                      available: MachineMemory? = MachineMemory.current()) throws {
        guard let available else { return }
        let needed = MemoryEstimate.weights(shape(model)) + MemoryEstimate.forward(shape(model), tokens: Int64(windows) * Int64(window))
        guard needed > Double(available.bytes) else { return }
        throw MemoryLimitError(description: "\(option) \(window) needs about \(Units.bytes(Int64(min(needed, 9e18)))) to score "
                               + "\(windows) window\(windows == 1 ? "" : "s") of \(window) tokens at once (vocab \(model.config.vocabSize)); "
                               + "\(available.described); lower \(option)\(windows > 1 ? " or --batch" : "")")
    }

    /// The key/value caches of generating up to `capacity` tokens (prompt included): every softmax
    /// attention layer keeps keys and values of all of them (a student's recurrent state is fixed).
    public static func requireDecoding(model: DecoderModel, capacity: Int, option: String, value: Int,
                                       available: MachineMemory? = MachineMemory.current()) throws {
        guard let available else { return }
        let perToken = model.layers.reduce(0.0) { sum, layer in
            guard let a = layer.mixer as? SoftmaxAttention else { return sum }
            return sum + 2 * Double(a.kvHeads * a.headDim) * MemoryEstimate.floatBytes
        }
        let needed = perToken * Double(capacity) + MemoryEstimate.weights(shape(model)) + MemoryEstimate.forward(shape(model), tokens: 1)
        guard needed > Double(available.bytes) else { return }
        throw MemoryLimitError(description: "\(option) \(value) needs about \(Units.bytes(Int64(min(needed, 9e18)))) of attention cache "
                               + "for \(capacity) tokens; \(available.described); lower \(option)")
    }
}
