import Foundation
import Testing
import RadModelZoo

/// Paths of the repository, its fetched assets and this target's fixtures.
enum Repo {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    static let smollm2 = root.appendingPathComponent("assets/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf").path
    static func vocab(_ name: String) -> String { root.appendingPathComponent("assets/vocab/\(name)").path }

    /// Asset path, recording a clear failure when it has not been fetched.
    static func asset(_ path: String, group: String) -> String? {
        if FileManager.default.fileExists(atPath: path) { return path }
        Issue.record("missing asset \(path): run `scripts/fetch-assets.sh \(group)` (make test does)")
        return nil
    }
}

/// A scratch directory removed at the end of the test.
final class Scratch {
    let url: URL
    init() {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("rad-zoo-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    func write(_ name: String, _ data: Data) throws -> String {
        let p = path(name)
        try data.write(to: URL(fileURLWithPath: p))
        return p
    }
    deinit { try? FileManager.default.removeItem(at: url) }
}

/// Expects `body` to throw an error whose description contains every one of `parts`.
func expectError(containing parts: [String], _ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) {
    do {
        try body()
        Issue.record("expected an error containing \(parts)", sourceLocation: sourceLocation)
    } catch {
        let text = "\(error)"
        for p in parts where !text.contains(p) {
            Issue.record("'\(text)' should contain '\(p)'", sourceLocation: sourceLocation)
        }
    }
}

/// Builds GGUF bytes by hand, for synthetic checkpoints and hostile files.
struct GGUFBuilder {
    enum Value {
        case u32(UInt32), i32(Int32), f32(Float), bool(Bool), string(String), strings([String]), i32s([Int32])
    }
    var bytes: [UInt8] = []

    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func string(_ s: String) { u64(UInt64(s.utf8.count)); bytes += Array(s.utf8) }

    mutating func value(_ v: Value) {
        switch v {
        case .u32(let x): u32(4); u32(x)
        case .i32(let x): u32(5); u32(UInt32(bitPattern: x))
        case .f32(let x): u32(6); u32(x.bitPattern)
        case .bool(let b): u32(7); bytes.append(b ? 1 : 0)
        case .string(let s): u32(8); string(s)
        case .strings(let a): u32(9); u32(8); u64(UInt64(a.count)); a.forEach { string($0) }
        case .i32s(let a): u32(9); u32(5); u64(UInt64(a.count)); a.forEach { u32(UInt32(bitPattern: $0)) }
        }
    }

    struct TensorSpec { var name: String; var dims: [Int]; var type: UInt32; var data: [UInt8] }

    static func file(version: UInt32 = 3, metadata: [(String, Value)], tensors: [TensorSpec], alignment: Int = 32) -> Data {
        var b = GGUFBuilder()
        b.bytes += Array("GGUF".utf8)
        b.u32(version)
        b.u64(UInt64(tensors.count))
        b.u64(UInt64(metadata.count))
        for (k, v) in metadata { b.string(k); b.value(v) }
        var offset = 0
        var offsets: [Int] = []
        for t in tensors {
            offsets.append(offset)
            offset += (t.data.count + alignment - 1) / alignment * alignment
        }
        for (t, o) in zip(tensors, offsets) {
            b.string(t.name)
            b.u32(UInt32(t.dims.count))
            t.dims.forEach { b.u64(UInt64($0)) }
            b.u32(t.type)
            b.u64(UInt64(o))
        }
        while b.bytes.count % alignment != 0 { b.bytes.append(0) }
        for t in tensors {
            b.bytes += t.data
            while b.bytes.count % alignment != 0 { b.bytes.append(0) }
        }
        return Data(b.bytes)
    }

    static func f32Data(_ v: [Float]) -> [UInt8] { v.flatMap { f in withUnsafeBytes(of: f.bitPattern.littleEndian) { Array($0) } } }
}
