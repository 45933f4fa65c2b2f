import RadOps

/// The Llama/Qwen2 feed-forward block: `down(silu(gate(h)) ⊙ up(h))`, no biases.
public final class SwiGLUMLP {
    public let gate: Tensor, up: Tensor, down: Tensor

    public init(gate: Tensor, up: Tensor, down: Tensor) {
        self.gate = gate; self.up = up; self.down = down
    }

    public var parameters: [Tensor] { [gate, up, down] }

    public func callAsFunction(_ h: Tensor) -> Tensor {
        linear(swiGLU(gate: linear(h, weight: gate), up: linear(h, weight: up)), weight: down)
    }
}
