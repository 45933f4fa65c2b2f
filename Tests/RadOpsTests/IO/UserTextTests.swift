import Foundation
import Testing
import RadOps

/// The decoder of the text users give rad: well-formed UTF-8 only, no NUL bytes, and an error that
/// names the file and the offset of the first bad byte.
@Suite struct UserTextTests {
    func message(_ bytes: [UInt8]) -> String? {
        do {
            _ = try UserText.decode(Data(bytes), file: "t.txt")
            return nil
        } catch {
            #expect(error is InvalidInputError, "\(error) should be invalid input (exit 2)")
            return "\(error)"
        }
    }

    @Test func invalidByteIsReportedWithItsOffset() {
        var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: 2000)
        bytes[1234] = 0xFF
        #expect(message(bytes) == "t.txt: not UTF-8 text: invalid byte 0xFF at offset 1234")
    }

    @Test func nulByteIsBinaryData() {
        var bytes = Array("hello world".utf8)
        bytes[5] = 0
        #expect(message(bytes) == "t.txt: binary data, not text: NUL byte at offset 5")
    }

    @Test func illFormedSequencesAreReportedWhereTheyStart() {
        let cases: [([UInt8], String)] = [
            ([0x61, 0xC3, 0x41], "invalid byte 0xC3 at offset 1 (a character cut short)"),
            ([0x61, 0x62, 0xE2, 0x82], "invalid byte 0xE2 at offset 2 (the file ends inside a character)"),
            ([0xC0, 0x80], "invalid byte 0xC0 at offset 0"),                          // overlong NUL
            ([0xE0, 0x80, 0x80], "invalid byte 0xE0 at offset 0 (a character cut short)"),  // overlong
            ([0x20, 0xED, 0xA0, 0x80], "invalid byte 0xED at offset 1 (a character cut short)"),  // surrogate
            ([0xF4, 0x90, 0x80, 0x80], "invalid byte 0xF4 at offset 0 (a character cut short)"),  // > U+10FFFF
            ([0x80], "invalid byte 0x80 at offset 0"),                                // lone continuation
        ]
        for (bytes, expected) in cases { #expect(message(bytes) == "t.txt: not UTF-8 text: " + expected) }
    }

    @Test func wellFormedTextDecodesUnchanged() throws {
        let text = "plain, é, 中文, 🙂, U+10FFFF \u{10FFFF}\n"
        #expect(try UserText.decode(Data(text.utf8), file: "t.txt") == text)
        #expect(try UserText.decode(Data(), file: "empty.txt") == "")
    }

    @Test func agreesWithTheStandardLibraryOnRandomBytes() {
        var rng = SystemRandomNumberGenerator()
        // Bytes drawn mostly from the interesting high range, a few ASCII, no NUL.
        let alphabet: [UInt8] = [0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1,
                                 0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF]
        for _ in 0..<20_000 {
            let bytes = (0..<Int.random(in: 1...6, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }
            let reference = String(validating: bytes, as: UTF8.self) != nil
            #expect((message(bytes) == nil) == reference, "\(bytes.map { String(format: "%02X", $0) })")
        }
    }

    @Test func readNamesMissingAndUnreadableFiles() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rad-usertext-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let missing = dir.appendingPathComponent("missing.txt").path
        #expect(throws: TextInputError(file: missing, "no such file")) { _ = try UserText.read(missing) }
        #expect(throws: TextInputError(file: dir.path, "cannot read (give a text file)")) { _ = try UserText.read(dir.path) }
        let bad = dir.appendingPathComponent("bad.txt")
        try Data([0x61, 0xFE]).write(to: bad)
        #expect(throws: TextInputError(file: bad.path, "not UTF-8 text: invalid byte 0xFE at offset 1")) { _ = try UserText.read(bad.path) }
    }
}
