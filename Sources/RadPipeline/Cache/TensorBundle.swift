import RadModelZoo
import RadOps
import CZstd
import Crypto
import Foundation

/// A named set of fp32 tensors in one file: `RADT`, version, header length, a JSON header (names, shapes,
/// compressed frame sizes, SHA-256 of the uncompressed bytes), then one zstd frame per tensor. Compressing
/// per tensor keeps memory bounded by the largest tensor; the checksum covers the uncompressed data so a
/// bad frame or a decompressor bug is caught, not just a damaged file.
public enum TensorBundle {
    public struct Failure: Error, CustomStringConvertible { public var description: String }
    static let magic = Array("RADT".utf8)
    public static let level: Int32 = 3

    public static func write(_ tensors: [String: Tensor], to url: URL) throws {
        let names = tensors.keys.sorted()
        var frames: [Data] = []
        var hasher = SHA256()
        var entries: [CanonicalValue] = []
        for name in names {
            let t = tensors[name]!
            let bytes = t.count * 4
            let raw = UnsafeRawBufferPointer(start: UnsafeRawPointer(t.data), count: bytes)
            hasher.update(bufferPointer: raw)
            let bound = ZSTD_compressBound(bytes)
            var frame = Data(count: bound)
            let n = frame.withUnsafeMutableBytes { dst in
                ZSTD_compress(dst.baseAddress, bound, raw.baseAddress, bytes, level)
            }
            guard ZSTD_isError(n) == 0 else { throw Failure(description: "zstd failed on tensor '\(name)': \(String(cString: ZSTD_getErrorName(n)))") }
            frame.count = n
            frames.append(frame)
            entries.append(.object(["name": .string(name), "shape": .array(t.shape.map { .int(Int64($0)) }),
                                    "compressed_bytes": .int(Int64(n))]))
        }
        let header = CanonicalValue.object(["dtype": .string("f32"), "tensors": .array(entries),
                                            "uncompressed_sha256": .string(hasher.finalize().hex)])
        var out = Data(magic)
        var version = UInt32(1).littleEndian
        out.append(Data(bytes: &version, count: 4))
        let h = Data(header.canonicalJSON.utf8)
        var hl = UInt64(h.count).littleEndian
        out.append(Data(bytes: &hl, count: 8))
        out.append(h)
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else { throw Failure(description: "cannot create \(url.path)") }
        let fh = try FileHandle(forWritingTo: url)
        defer { try? fh.close() }
        try fh.write(contentsOf: out)
        for f in frames { try fh.write(contentsOf: f) }
        try fh.synchronize()
    }

    public static func read(_ url: URL) throws -> [String: Tensor] {
        let data = try Data(contentsOf: url, options: .alwaysMapped)
        func fail(_ s: String) -> Failure { Failure(description: "\(url.path): \(s)") }
        guard data.count >= 16, Array(data.prefix(4)) == magic else { throw fail("not a tensor bundle (bad magic)") }
        let version = data.subdata(in: 4..<8).withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
        guard UInt32(littleEndian: version) == 1 else { throw fail("unsupported bundle version \(version)") }
        let hl = UInt64(littleEndian: data.subdata(in: 8..<16).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        guard hl <= UInt64(data.count - 16) else { throw fail("truncated header") }
        let header: CanonicalValue
        do { header = try JSONReader.parse(data.subdata(in: 16..<(16 + Int(hl)))) } catch { throw fail("corrupt header: \(error)") }
        guard let entries = header["tensors"]?.arrayValue, let expected = header["uncompressed_sha256"]?.stringValue else {
            throw fail("header lacks tensors or checksum")
        }
        var offset = 16 + Int(hl)
        var out: [String: Tensor] = [:]
        var hasher = SHA256()
        for e in entries {
            guard let name = e["name"]?.stringValue, let shape = e["shape"]?.arrayValue?.compactMap(\.intValue),
                  let size = e["compressed_bytes"]?.intValue, size >= 0, shape.allSatisfy({ $0 >= 0 && $0 < 1 << 40 }) else {
                throw fail("malformed tensor entry")
            }
            let count = shape.reduce(1) { $0.multipliedReportingOverflow(by: $1).overflow ? Int64.max : $0 * $1 }
            guard count < 1 << 36 else { throw fail("tensor '\(name)' is implausibly large") }
            guard offset + Int(size) <= data.count else { throw fail("truncated: tensor '\(name)' runs past the end of the file") }
            let t = Tensor(zeros: shape.map(Int.init))
            let bytes = t.count * 4
            let n = data.withUnsafeBytes { src -> Int in
                let frame = src.baseAddress! + offset
                guard ZSTD_getFrameContentSize(frame, Int(size)) == UInt64(bytes) else { return -1 }
                return ZSTD_decompress(t.data, bytes, frame, Int(size))
            }
            guard n == bytes, ZSTD_isError(n) == 0 else { throw fail("tensor '\(name)': zstd frame is damaged") }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(start: t.data, count: bytes))
            t.name = name
            out[name] = t
            offset += Int(size)
        }
        guard hasher.finalize().hex == expected else { throw fail("checksum of the uncompressed tensors does not match") }
        return out
    }
}
