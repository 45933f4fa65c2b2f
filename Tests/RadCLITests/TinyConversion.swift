import Foundation

/// The tiny conversion that CLI tests run for real: the tiny Qwen2 fixture teacher and a Megatron binidx
/// stream over its vocabulary, in a manifest each test completes with its own steps.
enum TinyConversion {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let teacher = repo.appendingPathComponent("Tests/RadModelZooTests/Fixtures/teachers/qwen2_untied_bias").path

    /// A Megatron binidx pair (uint16 tokens) holding a repetitive stream over the tiny teacher's 89 ids.
    static func writeStream(prefix: URL) throws {
        var tokens: [UInt16] = []
        var state: UInt64 = 7
        let phrases: [[UInt16]] = (0..<6).map { _ in (0..<7).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt16((state >> 33) % 89)
        } }
        while tokens.count < 6000 { tokens += phrases[tokens.count % 5] }
        try tokens.withUnsafeBytes { Data($0) }.write(to: prefix.appendingPathExtension("bin"))
        var idx = Data("MMIDIDX\0\0".utf8)
        func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { idx.append(contentsOf: $0) } }
        u64(1); idx.append(8); u64(1); u64(2)   // version 1, dtype uint16, 1 sequence, 2 document offsets
        try idx.write(to: prefix.appendingPathExtension("idx"))
    }

    /// Writes the stream as `dir/stream` and the manifest as `dir/NAME.yaml`: run `name`, the tiny
    /// teacher, the stream as `data.train`, `student` (a YAML flow mapping) and `steps` (the lines under
    /// `steps:`, indented by two spaces).
    static func manifest(in dir: URL, name: String, seed: Int? = nil,
                         student: String = "{ architecture: rad-rwkv6 }", steps: String) throws -> URL {
        let prefix = dir.appendingPathComponent("stream")
        try writeStream(prefix: prefix)
        let url = dir.appendingPathComponent("\(name).yaml")
        try Data("""
        name: \(name)
        \(seed.map { "seed: \($0)\n" } ?? "")teacher: { source: \(teacher) }
        data:
          train: { binidx: \(prefix.path) }
        student: \(student)
        steps:
        \(steps)
        """.utf8).write(to: url)
        return url
    }
}
