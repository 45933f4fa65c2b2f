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
    /// cached artifact is recomputed). Update them together with `CacheKeyDeriver.format` or the numerics version
    /// (last: numerics 2, the fused output head and loss).
    @Test func pinnedKeys() throws {
        let k = try Self.keys()
        #expect(k["teacher"]?.key == "a226922c40ebad6c4995a023f41c768c496c9b1531b84bbe2dc851f5c6786bb7")
        #expect(k["data.train"]?.key == "647229ea24cb5a5e796cad9e772c06becca6862ae82688e639b13a00a799f391")
        #expect(k["student.init"]?.key == "b948304de3db2b2910a09ed02bf34dfecd356f17b2ab0881b666ce16dce83d40")
        #expect(k["align"]?.key == "8ed43d24d51d21c89ced3c3414b17b77b2b82ef0b6deb99f427ac19d18614c18")
        #expect(k["distill"]?.key == "6657deb2ea3554c0b7a83b6e1103fe18fecf183eb7d4f8c79302c9f67d26ac73")
        #expect(k["export"]?.key == "9f333fad5c6cc361c589956adad52d5c6fe736f6985f75dd54bcd66f5591c1b9")
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
