import Testing
import RadOps

/// `checkpointed`: the same values and bit-identical gradients as running the body on the tape, with
/// only the body's outputs recorded; several outputs, unused outputs, and finite differences.
@Suite struct CheckpointTests {
    /// Two outputs from x [4, 6] and a parameter w [5, 6]: y = silu(x·wᵀ), z = y ⊙ y (sum of both used later).
    static func block(_ inputs: [Tensor], _ w: Tensor) -> [Tensor] {
        let y = silu(linear(inputs[0], weight: w))
        return [y, mul(y, y)]
    }

    @Test func gradientsEqualTheUncheckpointedOnes() {
        var rng = TestRNG(seed: 3)
        let x = rng.tensor([4, 6], requiresGrad: true), w = rng.tensor([5, 6], requiresGrad: true)
        func run(_ checkpoint: Bool) -> (value: [Float], gx: [Float], gw: [Float], recorded: Int) {
            x.grad = nil; w.grad = nil
            let tape = Tape()
            let loss = tape.withRecording { () -> Tensor in
                let outs = checkpoint ? checkpointed([x]) { Self.block($0, w) } : Self.block([x], w)
                return sum(add(outs[0], scale(outs[1], 0.5)))
            }
            let recorded = tape.count
            tape.backward(loss)
            return (loss.toArray(), x.grad!.toArray(), w.grad!.toArray(), recorded)
        }
        let plain = run(false), saved = run(true)
        #expect(plain.value == saved.value)
        #expect(plain.gx == saved.gx && plain.gw == saved.gw)
        // The checkpointed run recorded one entry for the whole block instead of its four ops.
        #expect(saved.recorded < plain.recorded)
    }

    @Test func anUnusedOutputContributesNothing() {
        var rng = TestRNG(seed: 4)
        let x = rng.tensor([4, 6], requiresGrad: true), w = rng.tensor([5, 6], requiresGrad: true)
        let tape = Tape()
        let loss = tape.withRecording { sum(checkpointed([x]) { Self.block($0, w) }[1]) }
        tape.backward(loss)
        let gx = x.grad!.toArray()
        x.grad = nil; w.grad = nil
        let reference = Tape()
        let again = reference.withRecording { sum(Self.block([x], w)[1]) }
        reference.backward(again)
        #expect(gx == x.grad!.toArray())
    }

    @Test func finiteDifferences() {
        var rng = TestRNG(seed: 5)
        let x = rng.tensor([3, 6]), w = rng.tensor([5, 6])
        expectGradientsMatch([x, w]) { inputs in
            let outs = checkpointed([inputs[0]]) { Self.block($0, inputs[1]) }
            return add(outs[0], outs[1])
        }
    }

    @Test func withoutATapeItIsTheBody() {
        var rng = TestRNG(seed: 6)
        let x = rng.tensor([2, 6]), w = rng.tensor([5, 6])
        #expect(checkpointed([x]) { Self.block($0, w) }[1].toArray() == Self.block([x], w)[1].toArray())
    }
}
