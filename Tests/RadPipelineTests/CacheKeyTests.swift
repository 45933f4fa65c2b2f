import Foundation
import Testing
import RadPipeline

@Suite struct CacheKeyTests {
    static let pinned = Paths.fixtures.appendingPathComponent("pinned.yaml").path

    static func keys(_ overrides: [String] = []) throws -> [String: CacheKey] {
        let m = try ManifestLoader.load(pinned, overrides: overrides)
        return CacheKeyDeriver().keys(for: StepGraph(manifest: m), seed: m.seed)
    }

    /// A change of key derivation must never be silent: these values change only on purpose (and then every
    /// cached artifact is recomputed). Update them together with `CacheKeyDeriver.format` or the numerics version.
    @Test func pinnedKeys() throws {
        let k = try Self.keys()
        #expect(k["teacher"]?.key == "9b6d232b0b924ca420fe03c80d459c04596df24503b6a0830dfebee84b983a12")
        #expect(k["data.train"]?.key == "72fbb510485b39d58ac858c1a828b079f39c9a792af6781c6000eb66990f1dc3")
        #expect(k["student.init"]?.key == "8bec6d48e831f7fd3218ef643512713027d5aa235ba4a8a414595dc7bd0ff360")
        #expect(k["align"]?.key == "eb0bcc566a894a1b41434b3a8e67ffa642fd94acec6be67243bc303f5c104cd9")
        #expect(k["distill"]?.key == "aae37b6cf96bcb0960874b12e32e48fcd044de3f494ecd1e3917675b35cc085a")
        #expect(k["export"]?.key == "bb35d1846e90a409b6b3af9c90dd56a503e742a3126698ff59c96f3915776c0d")
    }

    @Test func canonicalRecordText() throws {
        let r = try Self.keys()["distill"]!.record
        let text = r.canonicalJSON
        #expect(text.hasPrefix("{\"format\":1,\"inputs\":{\"data\":\""))
        #expect(text.contains("\"lr\":{\"endpoint\":1,\"final\":2e-05,\"init\":2e-05,\"schedule\":\"constant\",\"wait\":0,\"warmup_steps\":50}"))
        #expect(text.contains("\"seed\":42"))
        #expect(text.contains("\"numerics\":\(RadVersion.numericsVersion)"))
        #expect(!text.contains("log_every") && !text.contains("threads") && !text.contains("checkpoint_every"))
    }

    @Test func cosmeticSettingsStayOutOfKeys() throws {
        let base = try Self.keys()
        for o in ["steps.align.log_every=1", "steps.align.checkpoint_every=7", "steps.align.threads=1", "steps.export.to=elsewhere"] {
            #expect(try Self.keys([o]).mapValues(\.key) == base.mapValues(\.key), "\(o) changed a key")
        }
    }

    @Test func outputSettingsChangeTheStepAndItsDescendants() throws {
        let base = try Self.keys()
        let k = try Self.keys(["steps.distill.lr=3e-5"])
        #expect(k["align"]?.key == base["align"]?.key)
        #expect(k["distill"]?.key != base["distill"]?.key)
        #expect(k["export"]?.key != base["export"]?.key)
        let s = try Self.keys(["seed=43"])
        #expect(s["teacher"]?.key == base["teacher"]?.key) // a source is its content
        #expect(s["align"]?.key != base["align"]?.key)
        let o = try Self.keys(["student.options.rope=true"])
        #expect(o["data.train"]?.key == base["data.train"]?.key && o["student.init"]?.key != base["student.init"]?.key)
        // Writing a default explicitly changes nothing.
        #expect(try Self.keys(["steps.align.grad_clip=1.0"])["align"]?.key == base["align"]?.key)
        #expect(try Self.keys(["steps.align.batch=4"])["align"]?.key == base["align"]?.key)
    }

    @Test func keysFollowFileContent() throws {
        let t = try TempDir(); defer { t.cleanup() }
        let teacher = try t.write("t.gguf", "weights v1")
        let f = try t.write("m.yaml", "name: m\nteacher: { source: t.gguf }\ntokenizer: { source: tok.json }\ndata: { train: { files: ['*.txt'] } }\nstudent: { architecture: qlinatt }\nsteps: { a: { kind: align_hidden_states } }\n")
        _ = try t.write("a.txt", "hello")
        func keys() throws -> [String: String] {
            let m = try ManifestLoader.load(f)
            return CacheKeyDeriver().keys(for: StepGraph(manifest: m), seed: m.seed).mapValues(\.key)
        }
        let k1 = try keys()
        _ = try t.write("t.gguf", "weights v2")
        let k2 = try keys()
        #expect(k1["teacher"] != k2["teacher"] && k1["a"] != k2["a"] && k1["data.train"] == k2["data.train"])
        _ = try t.write("b.txt", "more text")
        #expect(try keys()["data.train"] != k2["data.train"])
        _ = teacher
    }
}
