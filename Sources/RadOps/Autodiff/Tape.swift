/// Reverse-mode autodiff: a list of pullbacks recorded while a computation runs.
///
/// Ops record only when a tape is active (`Tape.withRecording`) *and* one of their inputs requires a
/// gradient, so the frozen teacher runs with no recording at all. `backward` walks the entries in
/// reverse; each pullback reads its output's `grad` and accumulates into its inputs' `grad`, so a
/// tensor used twice receives the sum of both contributions.
public final class Tape {
    @TaskLocal public static var current: Tape?

    struct Entry {
        let output: Tensor
        let pullback: (Tensor) -> Void
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
        entries.append(Entry(output: output, pullback: pullback))
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
        precondition(gradient.count == output.count, "gradient \(gradient.shape) for output \(output.shape)")
        output.ensureGrad().data.update(from: gradient.data, count: output.count)
        propagate()
    }

    private func propagate() {
        for entry in entries.reversed() {
            guard let g = entry.output.grad else { continue }
            entry.pullback(g)
            entry.output.grad = nil
        }
        entries.removeAll()
    }

    /// Drops everything recorded without back-propagating.
    public func reset() { entries.removeAll() }
}
