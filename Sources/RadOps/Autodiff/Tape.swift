/// Reverse-mode autodiff: a list of pullbacks recorded while a computation runs.
///
/// Ops record only when a tape is active (`Tape.withRecording`) *and* one of their inputs requires a
/// gradient, so the frozen teacher runs with no recording at all. `backward` walks the entries in
/// reverse; each pullback reads its output's `grad` and accumulates into its inputs' `grad`, so a
/// tensor used twice receives the sum of both contributions.
public final class Tape {
    @TaskLocal public static var current: Tape?

    /// One recorded computation: its outputs and how to push their gradients back to its inputs.
    struct Entry {
        let outputs: [Tensor]
        let pullback: ([Tensor?]) -> Void
        /// A mark (`mark`): runs whenever backward reaches it, with no gradients.
        var isMark = false
    }

    private(set) var entries: [Entry] = []

    public init() {}

    /// Number of recorded ops (for tests).
    public var count: Int { entries.count }

    /// Runs `body` with this tape active on the current task/thread.
    public func withRecording<R>(_ body: () throws -> R) rethrows -> R {
        try Tape.$current.withValue(self) { try body() }
    }

    /// The active tape if any of `inputs` requires a gradient, else nil.
    @inlinable public static func active(for inputs: Tensor...) -> Tape? {
        guard let tape = current else { return nil }
        for t in inputs where t.requiresGrad { return tape }
        return nil
    }

    /// The active tape if any of `inputs` requires a gradient, else nil.
    public static func active(forAny inputs: [Tensor]) -> Tape? {
        guard let tape = current else { return nil }
        return inputs.contains(where: \.requiresGrad) ? tape : nil
    }

    /// Records that `output` was computed; `pullback` receives `output.grad` and must accumulate into
    /// the inputs' gradients.
    public func record(_ output: Tensor, _ pullback: @escaping (_ outputGrad: Tensor) -> Void) {
        output.requiresGrad = true
        entries.append(Entry(outputs: [output], pullback: { pullback($0[0]!) }))
    }

    /// Records a computation with several outputs; `pullback` receives each output's gradient (nil for
    /// an output nothing downstream used) and runs once, when the first of them is reached.
    public func record(outputs: [Tensor], _ pullback: @escaping (_ outputGrads: [Tensor?]) -> Void) {
        for output in outputs { output.requiresGrad = true }
        entries.append(Entry(outputs: outputs, pullback: pullback))
    }

    /// Records a point of the computation: backward calls `action` when it reaches it, after every
    /// pullback recorded later. So a mark recorded before a layer's forward runs once that layer's
    /// parameters have their whole gradient, if nothing recorded after the layer reads them.
    public func mark(_ action: @escaping () -> Void) {
        entries.append(Entry(outputs: [], pullback: { _ in action() }, isMark: true))
    }

    /// Back-propagates from `loss` (seeded with `seed`, default 1 for every element) and clears the
    /// tape. Gradients of intermediate tensors are released as soon as they have been propagated;
    /// leaf tensors (parameters) keep theirs.
    public func backward(_ loss: Tensor, seed: Float = 1) {
        loss.ensureGrad().fill(seed)
        propagate()
    }

    /// Back-propagates from `output` seeded with an explicit upstream `gradient` of the same shape.
    public func backward(_ output: Tensor, gradient: Tensor) {
        backward(seeds: [(output, gradient)])
    }

    /// Back-propagates from several outputs at once, each seeded with its upstream gradient.
    public func backward(seeds: [(output: Tensor, gradient: Tensor)]) {
        for (output, gradient) in seeds {
            precondition(gradient.count == output.count, "gradient \(gradient.shape) for output \(output.shape)")
            output.accumulateGrad(gradient.data)
        }
        propagate()
    }

    private func propagate() {
        for entry in entries.reversed() {
            if entry.isMark { entry.pullback([]); continue }
            let grads = entry.outputs.map(\.grad)
            guard grads.contains(where: { $0 != nil }) else { continue }
            entry.pullback(grads)
            for output in entry.outputs { output.grad = nil }
        }
        entries.removeAll()
    }

    /// Drops everything recorded without back-propagating.
    public func reset() { entries.removeAll() }
}
