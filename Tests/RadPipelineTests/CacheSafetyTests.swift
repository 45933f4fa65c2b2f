import RadModelZoo
import RadOps
import Crypto
import Foundation
import Testing
import RadPipeline

/// The cache under unlucky conditions: a damaged payload that still matches its checksum, a second writer
/// of an entry that exists, and the debris of processes that died while writing.
@Suite struct CacheSafetyTests {
    /// A zstd frame damaged before its checksum was taken (so `get` finds the entry intact) fails when the
    /// next step decodes it; the run discards that entry and recomputes it instead of failing every time.
    @Test func aDamagedFrameUnderAMatchingChecksumIsRecomputed() throws {
        let f = try RunnerTests.Fixture(); defer { f.dir.cleanup() }
        try f.run(TestSteps.Counter())
        let m = try ManifestLoader.load(f.file)
        let key = CacheKeyDeriver().keys(for: StepGraph(manifest: m), seed: m.seed)["b"]!.key
        let entry = try #require(try f.store.get(key: key)).directory
        let bundle = entry.appendingPathComponent(Artifact.tensorFile)
        var bytes = try Data(contentsOf: bundle)
        bytes[bytes.count - 2] ^= 0xFF
        try bytes.write(to: bundle)
        // Re-sign the damaged payload, as a writer with a broken compressor would have.
        let metaURL = entry.appendingPathComponent("meta.json")
        var meta = String(decoding: try Data(contentsOf: metaURL), as: UTF8.self)
        let oldSHA = try #require(try JSONReader.parse(Data(meta.utf8))["payload"]?[Artifact.tensorFile]?["sha256"]?.stringValue)
        meta = meta.replacingOccurrences(of: oldSHA, with: SHA256.hash(data: bytes).hex)
        try Data(meta.utf8).write(to: metaURL)
        #expect(try f.store.get(key: key) != nil)

        var log = ""
        let counter = TestSteps.Counter()
        try f.run(counter, force: ["c"], log: { log += $0 })
        #expect(counter.executed == ["b", "c"])
        #expect(log.contains("warning: artifact") && log.contains("corrupt"))
        #expect(try f.value("c") == [13, 13, 13])
    }

    /// Writers never remove an entry another process may be reading: a second `put` of an intact key
    /// keeps the first (equal by construction: the key names the content).
    @Test func aSecondWriterKeepsTheIntactEntry() throws {
        let dir = try TempDir(); defer { dir.cleanup() }
        let store = try ArtifactStore(root: dir.url)
        let key = String(repeating: "ab", count: 16)
        let first = try store.put(key: key, kind: "k", tensors: ["w": Tensor(shape: [3]) { _ in 1 }])
        let inode = try FileManager.default.attributesOfItem(atPath: first.directory.path)[.systemFileNumber] as? NSNumber
        try store.put(key: key, kind: "k", tensors: ["w": Tensor(shape: [3]) { _ in 2 }])
        let again = try #require(try store.get(key: key))
        #expect(try again.tensors()["w"]!.toArray() == [1, 1, 1])
        #expect(try FileManager.default.attributesOfItem(atPath: again.directory.path)[.systemFileNumber] as? NSNumber == inode)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.appendingPathComponent("tmp").path).isEmpty)
    }

    /// A checkpoint is replaced by the next one in one atomic swap.
    @Test func checkpointsReplaceEachOther() throws {
        let dir = try TempDir(); defer { dir.cleanup() }
        let store = try ArtifactStore(root: dir.url)
        let key = String(repeating: "cd", count: 16)
        for v: Float in [1, 2, 3] { try store.putCheckpoint(key: key, kind: "k", tensors: ["w": Tensor(shape: [2]) { _ in v }], meta: .object([:])) }
        #expect(try #require(try store.checkpoint(key: key)).tensors()["w"]!.toArray() == [3, 3])
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.appendingPathComponent("tmp").path).isEmpty)
    }

    /// The PID of a process that has exited.
    static func deadPID() throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/true")
        try p.run()
        p.waitUntilExit()
        return p.processIdentifier
    }

    /// Half-written entries and work folders of killed processes are removed by the next run; those of
    /// live processes stay.
    @Test func theNextRunRemovesTheDebrisOfDeadProcesses() throws {
        let f = try RunnerTests.Fixture(); defer { f.dir.cleanup() }
        let tmp = f.store.root.appendingPathComponent("tmp")
        let dead = try Self.deadPID()
        let debris = ["\(String(repeating: "e", count: 64)).\(UUID().uuidString).pid\(dead)",
                      "work-0123456789abcdef.pid\(dead)"]
        let live = "work-fedcba9876543210.pid\(getpid())"
        for name in debris + [live] {
            try FileManager.default.createDirectory(at: tmp.appendingPathComponent(name), withIntermediateDirectories: true)
            try Data("half".utf8).write(to: tmp.appendingPathComponent(name).appendingPathComponent("tensors.radt"))
        }
        var log = ""
        try f.run(TestSteps.Counter(), log: { log += $0 })
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.path).sorted() == [live])
        #expect(log.contains("removed 2 leftovers of stopped runs"))
    }
}
