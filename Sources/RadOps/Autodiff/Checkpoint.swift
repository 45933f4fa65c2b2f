/// Activation checkpointing: runs `body` without keeping its intermediate tensors, and runs it again
/// under a private tape when the backward pass reaches it.
///
/// The tape then holds only `inputs` and the outputs instead of every activation inside `body`, at the
/// cost of a second forward pass of `body`. Gradients are the same as without checkpointing as long as
/// `body` is deterministic (same inputs, same outputs): parameters that `body` reads accumulate their
/// gradients during the recomputation, and so do the `inputs`.
///
/// Outside a recording tape this is just `body(inputs)`. `body` must return fresh tensors, never one of
/// its inputs.
public func checkpointed(_ inputs: [Tensor], _ body: @escaping ([Tensor]) -> [Tensor]) -> [Tensor] {
    guard let tape = Tape.current else { return body(inputs) }
    let outputs = Tape.$current.withValue(nil) { body(inputs) }
    tape.record(outputs: outputs) { grads in
        let inner = Tape()
        let again = inner.withRecording { body(inputs) }
        precondition(again.count == grads.count, "checkpointed body returned \(again.count) outputs, then \(grads.count)")
        inner.backward(seeds: zip(again, grads).compactMap { output, g in g.map { (output, $0) } })
    }
    return outputs
}
