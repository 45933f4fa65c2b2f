/// Fused SwiGLU `silu(gate) ⊙ up` (Llama/Qwen2 MLP), gate and up of equal shape; one pass forward and
/// one pass backward instead of three elementwise ops.
public func swiGLU(gate: Tensor, up: Tensor) -> Tensor {
    precondition(gate.shape == up.shape, "swiGLU: gate \(gate.shape) and up \(up.shape) differ")
    let out = Tensor(zeros: gate.shape)
    ElementwiseKernels.swiGLU(gate: gate.data, up: up.data, out: out.data, count: gate.count)
    if let tape = Tape.active(for: gate, up) {
        tape.record(out) { g in
            ElementwiseKernels.swiGLUBackward(gate: gate.data, up: up.data, dy: g.data,
                                              dGate: gate.requiresGrad ? gate.ensureGrad().data : nil,
                                              dUp: up.requiresGrad ? up.ensureGrad().data : nil, count: gate.count)
        }
    }
    return out
}
