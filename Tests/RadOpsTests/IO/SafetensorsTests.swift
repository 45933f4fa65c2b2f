import Foundation
import Testing
import RadOps

/// A scratch directory removed at the end of the test.
final class ScratchDir {
    let url: URL
    init() {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("rad-io-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    deinit { try? FileManager.default.removeItem(at: url) }
}

/// Raw safetensors bytes: header JSON (unpadded) + data.
func rawSafetensors(header: String, data: [UInt8], claimedLength: UInt64? = nil) -> Data {
    var d = Data()
    var n = (claimedLength ?? UInt64(header.utf8.count)).littleEndian
    withUnsafeBytes(of: &n) { d.append(contentsOf: $0) }
    d.append(contentsOf: Array(header.utf8))
    d.append(contentsOf: data)
    return d
}

func expectFileError(_ path: String, containing parts: [String], _ body: () throws -> Void) {
    do {
        try body()
        Issue.record("expected an error for \(path)")
    } catch let e as TensorFileError {
        #expect(e.description.contains(path), "\(e.description)")
        for p in parts { #expect(e.description.contains(p), "'\(e.description)' should contain '\(p)'") }
    } catch {
        Issue.record("unexpected error type \(error)")
    }
}

@Suite struct SafetensorsTests {
    @Test func writeThenReadRoundTripsAllDTypesAndMetadata() throws {
        let dir = ScratchDir()
        let path = dir.path("a.safetensors")
        let a = Tensor(shape: [2, 3], values: [1, -2.5, 3.25, 1e-3, 65504, -0])
        let b = Tensor(shape: [4], values: [0.1, 0.2, 0.3, 1 + 0x1p-9])
        let c = Tensor(shape: [1, 2, 2], values: [1, 2, 3, 4])
        try SafetensorsWriter.write([.init("a", a, dtype: .f32), .init("b.weight", b, dtype: .bf16), .init("c", c, dtype: .f16)],
                                    metadata: ["format": "pt", "note": "q\"uote"], to: path)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let headerLength = data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        #expect(headerLength % 8 == 0)
        let f = try SafetensorsFile(path: path)
        #expect(f.tensorNames == ["a", "b.weight", "c"])
        #expect(f.metadata == ["format": "pt", "note": "q\"uote"])
        #expect(f.info("b.weight")?.dtype == "BF16")
        #expect(f.info("c")?.shape == [1, 2, 2])
        #expect(try f.load("a").toArray() == a.toArray())
        #expect(try f.load("b.weight").toArray() == b.toArray().map { HalfFloat.bf16ToFloat(HalfFloat.floatToBF16($0)) })
        #expect(try f.load("c").toArray() == c.toArray())
        #expect(!FileManager.default.fileExists(atPath: path + ".tmp-\(ProcessInfo.processInfo.processIdentifier)"))
    }

    @Test func readsAFileWrittenByPythonSafetensors() throws {
        // Written by hand in the format's documented layout: one F16 [2] tensor at offsets 0..4.
        let dir = ScratchDir()
        let path = dir.path("py.safetensors")
        let header = #"{"x":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"__metadata__":{"format":"pt"}}"#
        try rawSafetensors(header: header, data: [0x00, 0x3C, 0x00, 0xC0]).write(to: URL(fileURLWithPath: path))
        let f = try SafetensorsFile(path: path)
        #expect(try f.load("x").toArray() == [1, -2])
        #expect(f.metadata["format"] == "pt")
    }

    @Test func badFilesGiveErrorsNamingTheFileAndTensor() throws {
        let dir = ScratchDir()
        func file(_ name: String, _ d: Data) throws -> String {
            let p = dir.path(name)
            try d.write(to: URL(fileURLWithPath: p))
            return p
        }
        let tiny = try file("tiny.safetensors", Data([1, 2, 3]))
        expectFileError(tiny, containing: ["truncated"]) { _ = try SafetensorsFile(path: tiny) }

        let good = #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
        let over = try file("over.safetensors", rawSafetensors(header: good, data: [UInt8](repeating: 0, count: 8), claimedLength: 1 << 40))
        expectFileError(over, containing: ["header length", "exceeds"]) { _ = try SafetensorsFile(path: over) }

        // A header length within the file but above the 100 MB limit (a sparse file, nothing written).
        let huge = dir.path("huge.safetensors")
        try rawSafetensors(header: "", data: [], claimedLength: 101 << 20).write(to: URL(fileURLWithPath: huge))
        let fh = try FileHandle(forWritingTo: URL(fileURLWithPath: huge))
        try fh.truncate(atOffset: 102 << 20)
        try fh.close()
        expectFileError(huge, containing: ["over the", "limit"]) { _ = try SafetensorsFile(path: huge) }

        let cut = try file("cut.safetensors", rawSafetensors(header: good, data: [0, 0, 0, 0]))
        expectFileError(cut, containing: ["'w'", "beyond"]) { _ = try SafetensorsFile(path: cut) }

        let mismatch = try file("shape.safetensors", rawSafetensors(
            header: #"{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: [UInt8](repeating: 0, count: 8)))
        expectFileError(mismatch, containing: ["'w'", "needs 12"]) { _ = try SafetensorsFile(path: mismatch) }

        let ints = try file("i64.safetensors", rawSafetensors(
            header: #"{"ids":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}"#, data: [UInt8](repeating: 0, count: 8)))
        let f = try SafetensorsFile(path: ints)
        expectFileError(ints, containing: ["'ids'", "unsupported dtype I64"]) { _ = try f.load("ids") }

        let weird = try file("weird.safetensors", rawSafetensors(
            header: #"{"w":{"dtype":"F7","shape":[1],"data_offsets":[0,1]}}"#, data: [0]))
        expectFileError(weird, containing: ["'w'", "unknown dtype F7"]) { _ = try SafetensorsFile(path: weird) }

        let notJSON = try file("json.safetensors", rawSafetensors(header: "{oops", data: []))
        expectFileError(notJSON, containing: ["JSON"]) { _ = try SafetensorsFile(path: notJSON) }

        let negative = try file("neg.safetensors", rawSafetensors(
            header: #"{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]))
        expectFileError(negative, containing: ["'w'", "shape"]) { _ = try SafetensorsFile(path: negative) }

        let missing = dir.path("absent.safetensors")
        expectFileError(missing, containing: ["cannot open"]) { _ = try SafetensorsFile(path: missing) }
    }
}
