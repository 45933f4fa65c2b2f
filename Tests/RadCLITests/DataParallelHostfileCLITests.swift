import Foundation
import Testing

/// `mpirun --hostfile` with the ranks on two nodes, the way a job spans machines: mpirun starts a daemon
/// on each node through its rsh agent, each node runs one rank, and the ranks talk over TCP (shared memory
/// only joins ranks of one node). Here both "nodes" are this machine: the hostfile names 127.0.0.2 and
/// 127.0.0.3, which Open MPI takes for other machines, and the agent stands in for ssh by running the
/// daemon's command here. The cache is passed as the README says (`-x RAD_CACHE`). What it cannot show is
/// a real network or a file system shared between machines.
extension DataParallelCLITests {
    @Test func twoNodesOfAHostfileTrainTheModelOfTwoLocalRanks() throws {
        try Self.withJob { dir, manifest in
            let agent = dir.appendingPathComponent("fake-ssh"), hosts = dir.appendingPathComponent("hosts")
            let log = dir.appendingPathComponent("ssh.log")
            try Data("""
            #!/bin/sh
            # Stands in for ssh: drops its options and the host name, runs the command on this machine.
            while [ $# -gt 0 ]; do case "$1" in -*) shift ;; *) break ;; esac; done
            echo "$1" >> \(log.path)
            shift
            exec sh -c "$*"

            """.utf8).write(to: agent)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: agent.path)
            try Data("127.0.0.2 slots=1\n127.0.0.3 slots=1\n".utf8).write(to: hosts)

            let local = try RadProcess.run(Self.args(manifest, dir, "local"), launcher: Self.launcher(["-np", "2"]))
            #expect(local.status == 0, "\(local.stdout)\n\(local.stderr)")
            // The cache from the environment, forwarded to every node's rank by mpirun.
            var args = Self.args(manifest, dir, "nodes")
            let cache = args.remove(at: 3); args.remove(at: 2)
            // PMIx's shared-memory store is one per machine: two daemons on one machine share it by hash instead.
            let nodes = try RadProcess.run(args, environment: ["RAD_CACHE": cache, "PMIX_MCA_gds": "hash"], launcher: Self.launcher([
                "--hostfile", hosts.path, "-np", "2", "--mca", "plm_rsh_agent", agent.path, "-x", "RAD_CACHE",
                "--mca", "btl", "tcp,self", "--mca", "btl_tcp_if_include", "lo", "--mca", "oob_tcp_if_include", "lo"]))
            #expect(nodes.status == 0, "\(nodes.stdout)\n\(nodes.stderr)")
            // mpirun started a daemon on each node through the agent.
            let started = ((try? String(contentsOf: log, encoding: .utf8)) ?? "").split(separator: "\n").sorted()
            #expect(started == ["127.0.0.2", "127.0.0.3"], "\(started)")
            #expect(FileManager.default.fileExists(atPath: cache), "the ranks did not use RAD_CACHE")

            let a = try Self.weights(dir, "local"), b = try Self.weights(dir, "nodes")
            #expect(!a.isEmpty && a.keys.sorted() == b.keys.sorted())
            for (name, y) in a where y != b[name] { Issue.record("\(name): the two-node run differs from two local ranks") }
        }
    }
}
