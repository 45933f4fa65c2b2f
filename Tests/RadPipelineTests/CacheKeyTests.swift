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
    /// (last: numerics 3, blocked attention and the fused RAD-RWKV7 ops).
    @Test func pinnedKeys() throws {
        let k = try Self.keys()
        #expect(k["teacher"]?.key == "d5889c2b018f947303b9f7ef15a170905341b6ebb501822a071324a4951ae51b")
        #expect(k["data.train"]?.key == "b388cf1cdc4489f0c62fe510bf6de271ee9e6d2655d0bcd02eafdd8a9d70aa85")
        #expect(k["student.init"]?.key == "1912787103401c448c070cd90bf83cf1d758c1961c0e4cba3650101f70aae96c")
        #expect(k["align"]?.key == "f4f14a6ba1d20c7141a12eb87bcf5c00ccd3dc13d76a71d5d687c0993cbecd94")
        #expect(k["distill"]?.key == "c2b8eaa3e6e1bd49fcbdbdc73c5b2b2a560b0b965f896457fe53cb8fdfabdd6d")
        #expect(k["export"]?.key == "0f0b848ccd1fd35cd63f561e2a24850f3187a59cafa2046b0bff0ae009e10a4f")
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
