import Foundation
import Testing
import RadPipeline

/// Every manifest in `Fixtures/bad/` declares the errors it must produce in `# expect: TEXT` header lines.
/// Each expected text must appear in one of the reported errors (rendered as FILE:LINE:COL: error: ...),
/// and each reported error must be expected: no error is missing and none is spurious.
@Suite struct BadCorpusTests {
    static func expectations(_ file: String) -> [String] {
        let data = FileManager.default.contents(atPath: file) ?? Data()
        return String(decoding: data, as: UTF8.self).split(separator: "\n")
            .filter { $0.hasPrefix("# expect: ") }.map { String($0.dropFirst("# expect: ".count)) }
    }

    @Test func corpusIsLarge() { #expect(Paths.badManifests.count >= 40) }

    @Test(arguments: Paths.badManifests.map { URL(fileURLWithPath: $0).lastPathComponent })
    func badManifestGivesExpectedErrors(_ name: String) throws {
        let file = Paths.fixtures.appendingPathComponent("bad").appendingPathComponent(name).path
        let expected = Self.expectations(file)
        #expect(!expected.isEmpty, "\(name) has no '# expect:' line")
        var sources: [String: String] = [:]
        var found: [Diagnostic] = []
        do {
            _ = try ManifestLoader.load(file, environment: [:])
            Issue.record("\(name) validated but must fail")
            return
        } catch let f as ManifestLoader.Failure {
            found = f.diagnostics; sources = f.sources
        }
        let rendered = found.map(\.description)
        for e in expected {
            #expect(rendered.contains { $0.contains(e) }, "\(name): no error contains \"\(e)\"; got \(rendered)")
        }
        for r in rendered {
            #expect(expected.contains { r.contains($0) }, "\(name): unexpected error \(r)")
        }
        // Every error points at a line of a file that was read, and renders with a caret.
        for d in found {
            let loc = try #require(d.location, "\(name): \(d) has no location")
            #expect(loc.line >= 1 && loc.column >= 1)
            let text = DiagnosticRenderer(sources: sources).render(d)
            #expect(text.split(separator: "\n").last?.hasSuffix("^") == true, "\(name): \(text)")
        }
    }
}
