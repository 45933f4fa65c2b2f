import RadModelZoo
import RadOps
import Foundation
import Testing
import RadPipeline

/// Training text (`files:`, `jsonl:`) and benchmark requests that are not UTF-8 text are refused
/// naming the file and the offset of the first bad byte, instead of being trained on as U+FFFD.
@Suite struct TextInputTests {
    static func temp() throws -> URL {
        let u = FileManager.default.temporaryDirectory.appendingPathComponent("rad-text-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
        return u
    }

    static func expectInvalidText(_ file: URL, _ needle: String, _ body: () throws -> Void,
                                  sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        do {
            try body()
            Issue.record("\(file.lastPathComponent) was accepted", sourceLocation: sourceLocation)
        } catch {
            #expect(error is InvalidInputError, "\(error)", sourceLocation: sourceLocation)
            #expect("\(error)" == "\(file.path): \(needle)", sourceLocation: sourceLocation)
        }
    }

    @Test func textFilesMustBeUTF8WithoutNulBytes() throws {
        let dir = try Self.temp(); defer { try? FileManager.default.removeItem(at: dir) }
        try Data("good text\n".utf8).write(to: dir.appendingPathComponent("a.txt"))
        #expect(try TokenPacker.documents([.textFiles(["*.txt"])], base: dir.path) == ["good text\n"])

        var bytes = [UInt8](repeating: UInt8(ascii: "x"), count: 2000)
        bytes[1234] = 0xFF
        let bad = dir.appendingPathComponent("b.txt")
        try Data(bytes).write(to: bad)
        Self.expectInvalidText(bad, "not UTF-8 text: invalid byte 0xFF at offset 1234") {
            _ = try TokenPacker.documents([.textFiles(["*.txt"])], base: dir.path)
        }
        try Data("ELF\u{0}\u{1}".utf8).write(to: bad)
        Self.expectInvalidText(bad, "binary data, not text: NUL byte at offset 3") {
            _ = try TokenPacker.documents([.textFiles(["*.txt"])], base: dir.path)
        }
    }

    @Test func jsonlFilesMustBeUTF8() throws {
        let dir = try Self.temp(); defer { try? FileManager.default.removeItem(at: dir) }
        let f = dir.appendingPathComponent("d.jsonl")
        try Data(#"{"text":"one"}"#.utf8 + [0x0A] + #"{"text":"tw"#.utf8 + [0xC3, 0x28] + #"o"}"#.utf8).write(to: f)
        Self.expectInvalidText(f, "not UTF-8 text: invalid byte 0xC3 at offset 26 (a character cut short)") {
            _ = try TokenPacker.documents([.jsonl(["d.jsonl"], field: "text")], base: dir.path)
        }
    }

    @Test func benchmarkRequestsMustBeUTF8() throws {
        let dir = try Self.temp(); defer { try? FileManager.default.removeItem(at: dir) }
        let f = dir.appendingPathComponent("piqa.jsonl")
        let line = #"{"doc_id":0,"idx":0,"label":0,"request":{"context":"a","continuation":" b"}}"#
        try Data(line.utf8).write(to: f)
        #expect(try EvalRequestLoader.load(f.path, limit: nil).count == 1)
        try Data(Array(line.utf8) + [0x0A, 0xFF]).write(to: f)
        Self.expectInvalidText(f, "not UTF-8 text: invalid byte 0xFF at offset \(line.utf8.count + 1)") {
            _ = try EvalRequestLoader.load(f.path, limit: nil)
        }
    }
}
