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

    /// Every rank loads the manifest (each from its own machine's files) and the ranks agree on whether
    /// that failed anywhere: rank 0 then reports its own problems as a plain run does (every problem,
    /// FILE:LINE:COL), or another rank's in one line with its rank, and every rank exits with that code.
    /// Before, each rank printed the problems and aborted the job through `MPI_Abort`.
    private func loadAgreed(_ command: RunCommand) throws -> Manifest {
        var manifest: Manifest?, failure: Error?
        do { manifest = try command.manifest.load(workspace: command.cache.workspace, inputs: command.inputs) } catch { failure = error }
        do { try RankWork(world: world).agree(failure: failure) } catch where SharedStepFailure.isAgreed(error) {
            if world.isLeader { throw failure ?? error }
            throw ExitCode(SharedStepFailure.isInput(error) ? 2 : 1)
        }
        return manifest!
    }

    func run(_ command: RunCommand) throws {
        var phase = Phase.starting
        var coordinator: RunCoordinator?
        do {
            try reportingErrors {
                let m: Manifest
                do { m = try loadAgreed(command) } catch { phase = .refused; throw error }
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
