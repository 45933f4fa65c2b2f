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
    /// (last: numerics 4, grad_clip: 0 no longer zeroes the gradients).
    @Test func pinnedKeys() throws {
        let k = try Self.keys()
        #expect(k["teacher"]?.key == "a5f09de6f750af7c28b54ba1227dfbae2b0dd792f1eeffd7a037854cd2deb6ca")
        #expect(k["data.train"]?.key == "1163d2e91c6075d702100529060c6145f31f537d252616a1705b5992420bcc4b")
        #expect(k["student.init"]?.key == "ff5ae15f59264be534d3ed94e95619c33d91a4a0ba1a82ea80b5553933e40805")
        #expect(k["align"]?.key == "5f9fa8c118b1b76b96812d0981f546e6a463e014cfc8e7e0f77971291c823ec8")
        #expect(k["distill"]?.key == "6fb51ac556624f210cc64ff120a81664e574b0a03f7017921fca2b67aca29f79")
        #expect(k["export"]?.key == "43affadc35cd71ae01808688e2427c506e30974a6a1ef2248ca3f7d2f3c3e4b5")
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
