import RadOps

/// What a data-parallel training stage needs besides its own passes: the part of each step's batch this
/// process computes, and the sum of every process's gradients (with what the ranks must agree on).
public protocol GradientSync: AnyObject {
    /// This process's slice of a batch of `batch` sequences.
    func share(batch: Int) -> BatchShare
    /// Sums `parameters`' gradients over the processes in place (a parameter without one counts as zeros
    /// and gets one; under ZeRO stage 1 only this rank's shard of them is summed) and agrees on the step:
    /// the loss is summed (each process's weighted part of the step's loss), `stop` and `checkpointDue`
    /// are true on every process as soon as one asked, so that all stop or checkpoint at the same step.
    func reduce(_ parameters: [Tensor], _ mine: StepAgreement) throws -> StepAgreement
    /// Before the backward pass of a step's last pass: the hook the student calls as each layer's
    /// gradients become whole (`DecoderModel.layerGradientsDone`), for a reducer that starts summing
    /// them during backward; `layers` holds each layer's parameters. Nil: `reduce` sums after backward.
    func overlap(_ parameters: [Tensor], layers: [[Tensor]]) -> ((Int) -> Void)?
    /// The time spent in the collectives so far.
    var timing: SyncTiming { get }
}

extension GradientSync {
    public func overlap(_ parameters: [Tensor], layers: [[Tensor]]) -> ((Int) -> Void)? { nil }
}

/// What the ranks of a data-parallel job agree on after every optimizer step's passes.
public struct StepAgreement: Equatable, Sendable {
    /// This rank's weighted part of the step's loss; the step's loss once agreed.
    public var loss: Double
    /// Stop after this step (Ctrl-C or SIGTERM reached a rank).
    public var stop: Bool
    /// Write a checkpoint after this step (the time since the last one passed `checkpoint_minutes` on a rank).
    public var checkpointDue: Bool

    /// Sums the losses and ors the flags over `world`.
    func agreed(in world: MPIWorld) throws -> StepAgreement {
        var scalars = [loss, stop ? 1 : 0, checkpointDue ? 1 : 0]
        try world.allreduceSum(&scalars)
        return StepAgreement(loss: scalars[0], stop: scalars[1] > 0, checkpointDue: scalars[2] > 0)
    }
}

/// Seconds spent in a data-parallel stage's collectives and waiting for the slowest rank before them
/// (a barrier first, so the two are told apart), over `steps` optimizer steps of `ranks` ranks.
public struct SyncTiming: Sendable {
    /// The time the training thread spent in `reduce` (with `overlap_backward`: waiting for the buckets
    /// still being summed after backward, then the agreement).
    public var seconds = 0.0
    /// With `overlap_backward`: the summing thread's time from the first bucket to the last, mostly
    /// beside the backward pass.
    public var overlappedSeconds = 0.0
    public var waitSeconds = 0.0
    public var steps = 0
    public var ranks = 1
}
