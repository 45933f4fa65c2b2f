import Foundation
import Testing
import RadPipeline

/// `limit:` of an evaluate step: `all` (or 0, or leaving it out) evaluates whole request files.
@Suite struct EvaluateLimitTests {
    static let teacher = Paths.repo.appendingPathComponent("assets/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf").path

    static func manifest(_ dir: TempDir, limit: String?) throws -> String {
        try dir.write("m.yaml", """
        name: limits
        teacher: { source: \(teacher) }
        steps:
          eval: { kind: evaluate, models: [teacher], heldout_perplexity: false\(limit.map { ", limit: \($0)" } ?? "") }

        """)
    }

    @Test func allIsEveryDocumentWithTheDefaultsKey() throws {
        guard FileManager.default.fileExists(atPath: Self.teacher) else {
            Issue.record("missing assets: run `scripts/fetch-assets.sh teacher`"); return
        }
        let dir = try TempDir(); defer { dir.cleanup() }
        var settings: [String: CanonicalValue] = [:]
        for limit in ["all", "0", nil] {
            let m = try ManifestLoader.load(try Self.manifest(dir, limit: limit))
            let s = try #require(m.step(named: "eval")).settings
            #expect(s["limit"] == .int(0), "limit: \(limit ?? "left out") -> \(String(describing: s["limit"]))")
            settings[limit ?? "default"] = s["limit"]
        }
        // One value for all three: the same cache key.
        #expect(Set(settings.values).count == 1)
        let twenty = try ManifestLoader.load(try Self.manifest(dir, limit: "20"))
        #expect(twenty.step(named: "eval")?.settings["limit"] == .int(20))
    }

    @Test func otherWordsAndNegativeCountsAreRefused() throws {
        guard FileManager.default.fileExists(atPath: Self.teacher) else {
            Issue.record("missing assets: run `scripts/fetch-assets.sh teacher`"); return
        }
        let dir = try TempDir(); defer { dir.cleanup() }
        let word = diagnostics(try Self.manifest(dir, limit: "everything"))
        #expect(word.contains { $0.category == .schema && $0.message.contains("must be all or a whole number") }, "\(word)")
        let negative = diagnostics(try Self.manifest(dir, limit: "-3"))
        #expect(negative.contains { $0.category == .range && $0.message.contains("must be all or between 0 and") }, "\(negative)")
    }
}
