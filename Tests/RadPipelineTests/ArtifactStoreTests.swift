import RadModelZoo
import RadOps
import Foundation
import Testing
import RadPipeline

@Suite struct ArtifactStoreTests {
    static let key = String(repeating: "ab", count: 32)

    static func sample() -> [String: Tensor] {
        ["w": Tensor(shape: [3, 5]) { Float($0) * 0.25 - 1 }, "b": Tensor(shape: [7]) { Float($0 * $0) }, "empty": Tensor(zeros: [0])]
    }

    @Test func tensorsRoundTripExactly() throws {
        let t = try TempDir(); defer { t.cleanup() }
        let store = try ArtifactStore(root: t.url)
        let meta = CanonicalValue.object(["loss": .double(0.5)])
        try store.put(key: Self.key, kind: "test", tensors: Self.sample(), meta: meta)
        let a = try #require(try store.get(key: Self.key))
        #expect(a.kind == "test" && a.meta == meta)
        let back = try a.tensors()
        for (name, x) in Self.sample() {
            #expect(back[name]?.shape == x.shape)
            #expect(back[name]?.toArray() == x.toArray())
        }
        #expect(store.warnings.isEmpty)
    }

    @Test func filesAreStoredByName() throws {
        let t = try TempDir(); defer { t.cleanup() }
        let store = try ArtifactStore(root: t.url.appendingPathComponent("cache"))
        let src = try t.write("report.json", "{\"acc\": 0.5}")
        try store.put(key: Self.key, kind: "evaluate", files: ["report.json": URL(fileURLWithPath: src)])
        let a = try #require(try store.get(key: Self.key))
        #expect(String(decoding: try Data(contentsOf: a.file("report.json")), as: UTF8.self) == "{\"acc\": 0.5}")
    }

    @Test func corruptOrTruncatedEntriesAreDiscarded() throws {
        let t = try TempDir(); defer { t.cleanup() }
        let store = try ArtifactStore(root: t.url)
        for damage in ["flip", "truncate", "meta"] {
            let a = try store.put(key: Self.key, kind: "test", tensors: Self.sample())
            let bundle = a.directory.appendingPathComponent(Artifact.tensorFile)
            var bytes = try Data(contentsOf: bundle)
            switch damage {
            case "flip": bytes[bytes.count - 3] ^= 0x55; try bytes.write(to: bundle)
            case "truncate": try bytes.prefix(bytes.count / 2).write(to: bundle)
            default: try Data("{not json".utf8).write(to: a.directory.appendingPathComponent("meta.json"))
            }
            #expect(try store.get(key: Self.key) == nil, "\(damage) not detected")
            #expect(!store.contains(key: Self.key), "\(damage) entry not discarded")
        }
        #expect(store.warnings.count == 3)
        #expect(store.warnings[0].contains("corrupt"))
    }

    @Test func bundleChecksumCoversUncompressedBytes() throws {
        let t = try TempDir(); defer { t.cleanup() }
        let url = t.url.appendingPathComponent("x.radt")
        try TensorBundle.write(Self.sample(), to: url)
        #expect(try TensorBundle.read(url)["w"]?.toArray() == Self.sample()["w"]!.toArray())
        try Data("garbage".utf8).write(to: url)
        #expect(throws: TensorBundle.Failure.self) { try TensorBundle.read(url) }
    }

    @Test func verifyAndGarbageCollection() throws {
        let t = try TempDir(); defer { t.cleanup() }
        let store = try ArtifactStore(root: t.url)
        let keep = String(repeating: "1", count: 64), drop = String(repeating: "2", count: 64)
        try store.put(key: keep, kind: "a", tensors: Self.sample())
        let d = try store.put(key: drop, kind: "b", tensors: Self.sample())
        try store.putCheckpoint(key: drop, kind: "b", tensors: Self.sample(), meta: .object(["tokens": .int(5)]))
        #expect(store.list().count == 3)
        #expect(try store.verify(repair: false).isEmpty)
        try Data("x".utf8).write(to: d.directory.appendingPathComponent(Artifact.tensorFile))
        #expect(try store.verify(repair: false).map(\.key) == [drop])
        let dry = try store.gc(keep: [keep], dryRun: true)
        #expect(dry.removed.count == 2 && dry.bytes > 0 && store.list().count == 3)
        let real = try store.gc(keep: [keep], dryRun: false)
        #expect(real.bytes == dry.bytes)
        #expect(store.list().map(\.key) == [keep])
    }

    @Test func concurrentWritersDoNotCorrupt() throws {
        let t = try TempDir(); defer { t.cleanup() }
        let root = t.url
        DispatchQueue.concurrentPerform(iterations: 8) { i in
            let store = try! ArtifactStore(root: root)
            try! store.put(key: Self.key, kind: "test", tensors: ["w": Tensor(shape: [64]) { Float($0 + i) }])
        }
        let store = try ArtifactStore(root: root)
        let a = try #require(try store.get(key: Self.key))
        #expect(try a.tensors()["w"]?.count == 64)
        #expect((try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("tmp").path))?.isEmpty == true)
    }
}
