import Foundation
import RadPipeline

enum Paths {
    static let tests = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let fixtures = tests.appendingPathComponent("Fixtures")
    static let repo = tests.deletingLastPathComponent().deletingLastPathComponent()
    static let pipelines = repo.appendingPathComponent("pipelines")

    /// Every manifest under `pipelines/`.
    static var pipelineManifests: [String] {
        (FileManager.default.subpaths(atPath: pipelines.path) ?? []).filter { $0.hasSuffix(".yaml") }.sorted()
            .map { pipelines.appendingPathComponent($0).path }
    }

    /// The bad corpus (helper files under `support/` are not entries).
    static var badManifests: [String] {
        let dir = fixtures.appendingPathComponent("bad")
        return ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).filter { $0.hasSuffix(".yaml") }.sorted()
            .map { dir.appendingPathComponent($0).path }
    }
}

/// A fresh temporary folder, removed by the caller with `cleanup()`.
struct TempDir {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("rad-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    func write(_ name: String, _ text: String) throws -> String {
        let u = url.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: u.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: u)
        return u.path
    }
    func cleanup() { try? FileManager.default.removeItem(at: url) }
}

/// Loads a manifest and returns its diagnostics (empty if valid).
func diagnostics(_ file: String, overrides: [String] = [], environment: [String: String] = [:]) -> [Diagnostic] {
    do { _ = try ManifestLoader.load(file, overrides: overrides, environment: environment); return [] }
    catch let f as ManifestLoader.Failure { return f.diagnostics }
    catch { return [Diagnostic("\(error)", at: nil, category: .io)] }
}
