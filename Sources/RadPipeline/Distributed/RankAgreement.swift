import Crypto
import RadOps
import Foundation

/// At start-up every rank must run the same conversion: the same resolved manifest with the same rad.
/// Each rank sends a fingerprint of both to rank 0, which refuses any that differs, naming the rank; all
/// ranks then stop with exit code 2 (invalid input), without touching the cache.
public enum RankAgreement {
    /// What must be equal on every rank.
    public static func fingerprint(_ manifest: Manifest) -> String {
        let text = [RadVersion.engine, String(RadVersion.numericsVersion), manifest.resolved.canonicalJSON].joined(separator: "\n")
        return SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Refusal of the ranks whose manifests differ from rank 0's: an invalid input (exit 2) on every rank.
    public struct Mismatch: InvalidInputError {
        public var description: String
    }

    /// Compares every rank's fingerprint with rank 0's; throws `Mismatch` on every rank if one differs.
    public static func check(_ manifest: Manifest, in world: MPIWorld) throws {
        let mine = fingerprint(manifest)
        let all = try world.gather(Array(mine.utf8)).map { String(decoding: $0, as: UTF8.self) }
        var verdict = ""
        if world.isLeader {
            let differing = all.indices.filter { all[$0] != mine }
            if !differing.isEmpty {
                let names = differing.map { "rank \($0)" }.joined(separator: ", ")
                verdict = "\(names) \(differing.count == 1 ? "runs" : "run") another manifest or rad than rank 0 "
                    + "(fingerprint \(all[differing[0]].prefix(12)) against \(mine.prefix(12))): every rank of `mpirun` must run "
                    + "the same resolved manifest (file, -s overrides) with the same rad build"
            }
        }
        let agreed = String(decoding: try world.broadcast(Array(verdict.utf8)), as: UTF8.self)
        if !agreed.isEmpty { throw Mismatch(description: agreed) }
    }
}
