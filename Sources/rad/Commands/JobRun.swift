import ArgumentParser
import Foundation
import RadPipeline

/// `rad run` on one rank of an `mpirun` job: the ranks check that they run the same manifest, then rank 0
/// runs the steps and the others follow it (`RunCoordinator`). Every rank exits with rank 0's code when it
/// can tell them; a rank that fails on its own aborts the job, so that no rank waits for it forever.
struct JobRun {
    let world: MPIWorld

    /// Where the ranks are, for what a failure may still do.
    private enum Phase { case starting, refused, running, ended }

    func run(_ command: RunCommand) throws {
        var phase = Phase.starting
        var coordinator: RunCoordinator?
        do {
            try reportingErrors {
                let m = try command.manifest.load(workspace: command.cache.workspace, inputs: command.inputs)
                do { try RankAgreement.check(m, in: world) } catch {
                    phase = .refused
                    // Rank 0 says why, once; the other ranks only exit with its code.
                    throw world.isLeader || !(error is RankAgreement.Mismatch) ? error : ExitCode(2)
                }
                let c = RunCoordinator(world: world)
                coordinator = c; phase = .running
                if world.isLeader {
                    try command.runSteps(m, coordinator: c)
                    try c.end(code: 0)
                    phase = .ended
                } else {
                    let code = try c.follow(manifest: m, store: try command.cache.store(), registry: .engine)
                    phase = .ended
                    if code != 0 { throw ExitCode(code) }
                }
            }
        } catch let exit as ExitCode {
            switch phase {
            case .refused, .ended: throw exit
            case .running where world.isLeader && coordinator?.followersListening == true:
                // The followers wait for rank 0's next message: it tells them to stop with its code.
                try? coordinator?.end(code: exit.rawValue)
                throw exit
            default:
                Terminal.err("rad: rank \(world.rank) of \(world.size) stops the whole job (exit code \(exit.rawValue))\n")
                world.abort(code: exit.rawValue)
            }
        }
    }
}
