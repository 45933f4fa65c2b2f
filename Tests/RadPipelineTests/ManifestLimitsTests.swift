import Foundation
import Testing
import RadPipeline

/// Sizes a manifest may not exceed are refused before the text is read or built, with a diagnostic that
/// names the file and the size and never echoes the content.
@Suite struct ManifestLimitsTests {
    static func tempDir() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rad-limits-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    static let small = """
    name: ok
    teacher: { source: teacher.gguf }
    student: { architecture: rad-rwkv6 }
    steps:
      align: { kind: align_hidden_states, data: train }
    data:
      train: { files: [text/*.txt] }

    """

    static func failure(_ body: () throws -> Void) -> ManifestLoader.Failure? {
        do { try body(); return nil } catch let f as ManifestLoader.Failure { return f } catch { return nil }
    }

    @Test func oversizeManifestIsRefusedUnread() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("huge.yaml")
        // A valid manifest padded with a comment to 3 MiB: only its size is wrong.
        let marker = "SECRET-CONTENT-"
        var text = Self.small + "# "
        text += String(repeating: marker, count: (3 << 20) / marker.count) + "\n"
        try Data(text.utf8).write(to: file)
        let f = try #require(Self.failure { _ = try ManifestLoader.load(file.path, environment: [:]) })
        #expect(f.diagnostics.count == 1)
        let message = f.rendered
        #expect(message.contains("huge.yaml"), "\(message)")
        #expect(message.contains("is 3.0 MiB; a manifest may be at most 1.0 MiB"), "\(message)")
        #expect(!message.contains(marker))
        #expect(f.sources.values.allSatisfy { !$0.contains(marker) }, "the text was read")
    }

    @Test func oversizeBaseIsRefusedAtItsExtends() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data(("# " + String(repeating: "x", count: 2 << 20) + "\n").utf8).write(to: dir.appendingPathComponent("base.yaml"))
        let file = dir.appendingPathComponent("child.yaml")
        try Data(("extends: base.yaml\n" + Self.small).utf8).write(to: file)
        let f = try #require(Self.failure { _ = try ManifestLoader.load(file.path, environment: [:]) })
        let d = try #require(f.diagnostics.first)
        #expect(d.message.contains("base.yaml' is 2.0 MiB"), "\(d)")
        #expect(d.location?.line == 1)
    }

    /// A character device of endless zeros has no size to stat: reading stops one byte past the cap.
    @Test func endlessFileIsRefused() throws {
        let f = try #require(Self.failure { _ = try ManifestLoader.load("/dev/zero", environment: [:]) })
        #expect(f.rendered.contains("is larger than 1.0 MiB, the most a manifest may be"), "\(f.rendered)")
    }

    @Test func oversizeOverrideIsRefusedUnechoed() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("m.yaml")
        try Data(Self.small.utf8).write(to: file)
        let value = String(repeating: "y", count: 100_000)
        let f = try #require(Self.failure { _ = try ManifestLoader.load(file.path, overrides: ["vars.big=" + value], environment: [:]) })
        #expect(f.diagnostics.count == 1)
        #expect(f.rendered.contains("is 97.7 KiB; an override may be at most 64.0 KiB"), "\(f.rendered)")
        #expect(f.rendered.count < 300)
    }

    /// The chain `a_k: "${a_k-1}${a_k-1}"` doubles at every level: 40 levels would be a terabyte. It is
    /// reported once, at the first variable past the cap, and the rest are not built.
    @Test func doublingChainStopsAtTheCap() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("chain.yaml")
        var text = Self.small + "vars:\n  a0: x\n"
        for i in 1...40 { text += "  a\(i): \"${a\(i - 1)}${a\(i - 1)}\"\n" }
        try Data(text.utf8).write(to: file)
        let started = Date()
        let f = try #require(Self.failure { _ = try ManifestLoader.load(file.path, environment: [:]) })
        #expect(Date().timeIntervalSince(started) < 5)
        let capped = f.diagnostics.filter { $0.message.contains("makes a value longer than 64.0 KiB, the most an interpolated value may be") }
        #expect(capped.count == 1, "\(f.rendered)")
        #expect(capped.first?.message.contains("${a16}") == true)
    }

    /// Many uses of one large (but allowed) variable are stopped by the cap on all interpolated text.
    @Test func manyUsesOfALargeVariableStopAtTheTotalCap() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("many.yaml")
        let big = String(repeating: "z", count: 60_000)
        var text = Self.small + "vars:\n  big: \(big)\nlist: &l [\"${big}!\", \"${big}!\", \"${big}!\", \"${big}!\", \"${big}!\"]\n"
        text += "more: [" + Array(repeating: "*l", count: 120).joined(separator: ", ") + "]\n"
        try Data(text.utf8).write(to: file)
        let f = try #require(Self.failure { _ = try ManifestLoader.load(file.path, environment: [:]) })
        #expect(f.diagnostics.contains { $0.message.contains("interpolation builds more than 16.0 MiB of text in all") }, "\(f.rendered.prefix(2000))")
    }
}
