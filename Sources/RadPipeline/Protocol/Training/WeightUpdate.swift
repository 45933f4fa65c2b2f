import RadOps

/// What follows an optimizer step's gradients (summed over the ranks in a data-parallel run): clipping on
/// the global norm, the AdamW step with the learning rates in `optimizer.groups`, and the optimizer's state
/// for checkpoints. `LocalWeightUpdate` updates every weight in this process; under ZeRO stage 1 every rank
/// updates its shard and gathers the rest (`ShardedGradientReducer`).
public protocol WeightUpdate: AnyObject {
    /// Scales the gradients to a global norm of at most `maxNorm`; returns the norm before.
    func clip(maxNorm: Float) throws -> Float
    /// One AdamW step of every trainable weight.
    func step() throws
    /// The whole optimizer state (`AdamW.exportState`'s names) on the process that writes checkpoints (an
    /// empty one elsewhere). A collective under sharding: every rank asks at the same optimizer step.
    func exportState() throws -> [String: Tensor]
    /// Restores a whole state (this process's part of it).
    func importState(_ state: [String: Tensor]) throws
    /// Bytes of AdamW moments this process holds.
    var stateBytes: Int { get }
}

/// Every weight updated in this process, from the whole gradient: one process, or every rank of a
/// data-parallel run whose gradients were allreduced.
final class LocalWeightUpdate: WeightUpdate {
    let optimizer: AdamW
    let parameters: [Tensor]

    init(_ optimizer: AdamW, parameters: [Tensor]) { self.optimizer = optimizer; self.parameters = parameters }

    func clip(maxNorm: Float) -> Float { clipGradNorm(parameters, maxNorm: maxNorm) }
    func step() { optimizer.step() }
    func exportState() -> [String: Tensor] { optimizer.exportState() }
    func importState(_ state: [String: Tensor]) throws { try optimizer.importState(state) }
    var stateBytes: Int { optimizer.stateBytes }
}
