import Testing
import RadOps

/// `Tape.mark`: backward calls a mark's action once everything recorded after it has pulled back, and
/// before anything recorded before it: a mark recorded before a layer sees that layer's whole gradient.
@Suite struct TapeMarkTests {
    @Test func aMarkRunsAfterTheLaterOpsAndBeforeTheEarlierOnes() {
        var rng = TestRNG(seed: 11)
        let x = rng.tensor([3, 4], requiresGrad: true)
        let w1 = rng.tensor([4, 4], requiresGrad: true), w2 = rng.tensor([4, 4], requiresGrad: true)
        var seen: [(mark: Int, w1: [Float]?, w2: [Float]?, x: [Float]?)] = []
        let tape = Tape()
        let loss = tape.withRecording { () -> Tensor in
            tape.mark { seen.append((1, w1.grad?.toArray(), w2.grad?.toArray(), x.grad?.toArray())) }
            let h = silu(linear(x, weight: w1))
            tape.mark { seen.append((2, w1.grad?.toArray(), w2.grad?.toArray(), x.grad?.toArray())) }
            return sum(linear(h, weight: w2))
        }
        tape.backward(loss)
        // The second mark first: w2's gradient is whole, w1 and x have none yet; then the first, with all.
        #expect(seen.map(\.mark) == [2, 1])
        #expect(seen[0].w2 == w2.grad!.toArray() && seen[0].w1 == nil && seen[0].x == nil)
        #expect(seen[1].w1 == w1.grad!.toArray() && seen[1].x == x.grad!.toArray())
        // Marks change no gradient: the same tape without them gives the same numbers.
        let gradients = [x, w1, w2].map { $0.grad!.toArray() }
        for t in [x, w1, w2] { t.grad = nil }
        let plain = Tape()
        let again = plain.withRecording { sum(linear(silu(linear(x, weight: w1)), weight: w2)) }
        plain.backward(again)
        #expect([x, w1, w2].map { $0.grad!.toArray() } == gradients)
    }
}
