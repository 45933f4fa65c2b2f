import Foundation
import Testing

@Suite struct InspectCommandTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func badInputExitsWithCode2AndOneErrorLine() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rad-inspect-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let bad = dir.appendingPathComponent("bad.gguf")
        try Data("GGUF\u{3}\0\0\0".utf8).write(to: bad)
        for path in [bad.path, dir.appendingPathComponent("missing").path, dir.path] {
            let r = try RadProcess.run(["inspect", path])
            #expect(r.status == 2, "\(path): \(r.stderr)")
            let lines = r.stderr.split(separator: "\n")
            #expect(lines.count == 1 && lines[0].hasPrefix("error: ") && lines[0].contains(path), "\(r.stderr)")
        }
    }

    @Test func describesTheSmolLM2Teacher() throws {
        let gguf = Self.root.appendingPathComponent("assets/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf").path
        guard FileManager.default.fileExists(atPath: gguf) else {
            Issue.record("missing asset \(gguf): run `scripts/fetch-assets.sh teacher`")
            return
        }
        let r = try RadProcess.run(["inspect", gguf])
        #expect(r.status == 0)
        #expect(r.stdout.contains("parameters: 134,515,008"))
        #expect(r.stdout.contains("pre-tokenizer smollm"))
    }

    /// A student folder as rad exports it (model_type rwkv6qwen2): before, "'model_type': 'rwkv6qwen2' is
    /// not supported"; now the student architecture and its Qwen2 fields.
    @Test func describesAStudentFolder() throws {
        let folder = Self.root.appendingPathComponent("Tests/RadModelZooTests/Fixtures/students/rwkv6_default").path
        let r = try RadProcess.run(["inspect", folder])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("architecture: rwkv6qwen2\nstudent: rad-rwkv6"), "\(r.stdout)")
        #expect(r.stdout.contains("config: family qwen2, hidden "), "\(r.stdout)")
        #expect(!r.stdout.contains("not supported"), "\(r.stdout)")
    }
}
