import RadOps

/// The block a RADLADS conversion swaps: the teacher's softmax attention, or a student's recurrent
/// time-mixer. Everything else in a decoder layer (norms, MLP) is shared between teacher and student.
public protocol SequenceMixer: AnyObject {
    /// Parameters with their checkpoint keys in `name` (e.g. `model.layers.3.self_attn.q_proj.weight`).
    var parameters: [Tensor] { get }

    /// Mixes a chunk of `batch × seqLen` tokens. `x` is the RMS-normalised layer input [B, T, C]; the
    /// result is the block output after the output projection [B, T, C]. With `state`, the chunk
    /// continues the sequence the state has seen (KV cache or recurrent state) and the state is updated.
    func forward(_ x: Tensor, context: ForwardContext, state: MixerState?) -> Tensor

    /// A fresh inference state for `batch` sequences of at most `capacity` tokens.
    func makeState(batch: Int, capacity: Int) -> MixerState
}

/// Per-layer inference state: a KV cache for softmax attention, a recurrent state for RWKV mixers.
public protocol MixerState: AnyObject {
    /// Tokens consumed so far (the position of the next token).
    var position: Int { get }

    /// A new state for `batch` sequences that all continue from sequence `row` of this one, holding at
    /// most `capacity` tokens (used to score several continuations of one shared prefix).
    func replicated(row: Int, batch: Int, capacity: Int) -> MixerState
}

/// What one forward pass shares across layers.
public final class ForwardContext {
    public let batch: Int
    public let seqLen: Int
    /// Position of the chunk's first token (0 in training; the consumed length when decoding).
    public let positionOffset: Int
    /// Tensors a layer hands to later layers of the same pass (a value residual, say), each under a key
    /// its mixer owns. Activation checkpointing threads them between layers as explicit inputs and
    /// outputs, so their gradients reach the layer that made them.
    public var carried: [String: Tensor] = [:]
    /// Index of the layer being run.
    public var layerIndex: Int = 0

    public init(batch: Int, seqLen: Int, positionOffset: Int = 0) {
        self.batch = batch
        self.seqLen = seqLen
        self.positionOffset = positionOffset
    }
}
