import Foundation

/// Writes safetensors files: header JSON padded with spaces to a multiple of 8 bytes (so the data
/// section is aligned), tensors in the given order, written to a temporary file and renamed into
/// place so that a reader never sees a half-written file.
public enum SafetensorsWriter {
    public struct Entry {
        public var name: String
        public var tensor: Tensor
        public var dtype: TensorDType
        public init(_ name: String, _ tensor: Tensor, dtype: TensorDType = .f32) {
            self.name = name
            self.tensor = tensor
            self.dtype = dtype
        }
    }

    public static func write(_ entries: [Entry], metadata: [String: String]? = nil, to path: String) throws {
        var seen = Set<String>()
        for e in entries where !seen.insert(e.name).inserted || e.name == "__metadata__" {
            throw TensorFileError(file: path, tensor: e.name, "duplicate or reserved tensor name")
        }
        var header = "{"
        var parts: [String] = []
        if let metadata, !metadata.isEmpty {
            let items = metadata.keys.sorted().map { "\(JSONString.literal($0)):\(JSONString.literal(metadata[$0]!))" }
            parts.append("\"__metadata__\":{\(items.joined(separator: ","))}")
        }
        var offset = 0
        for e in entries {
            let bytes = e.tensor.count * e.dtype.byteSize
            let shape = e.tensor.shape.map(String.init).joined(separator: ",")
            parts.append("\(JSONString.literal(e.name)):{\"dtype\":\"\(e.dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + bytes)]}")
            offset += bytes
        }
        header += parts.joined(separator: ",") + "}"
        var headerBytes = Array(header.utf8)
        while headerBytes.count % 8 != 0 { headerBytes.append(UInt8(ascii: " ")) }

        let tmp = path + ".tmp-\(ProcessInfo.processInfo.processIdentifier)"
        guard let fp = fopen(tmp, "wb") else {
            throw TensorFileError(file: path, "cannot create \(tmp) (\(String(cString: strerror(errno))))")
        }
        var ok = true
        func put(_ p: UnsafeRawPointer, _ n: Int) { if n > 0 && fwrite(p, 1, n, fp) != n { ok = false } }
        var length = UInt64(headerBytes.count).littleEndian
        withUnsafeBytes(of: &length) { put($0.baseAddress!, 8) }
        headerBytes.withUnsafeBytes { put($0.baseAddress!, $0.count) }
        // Convert in chunks so a large tensor never needs a second full-size buffer.
        let chunk = 1 << 20
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunk * 4, alignment: 64)
        defer { buffer.deallocate() }
        for e in entries {
            var start = 0
            while start < e.tensor.count && ok {
                let n = min(chunk, e.tensor.count - start)
                e.dtype.encode(e.tensor.data + start, into: buffer, count: n)
                put(buffer, n * e.dtype.byteSize)
                start += n
            }
        }
        if fflush(fp) != 0 { ok = false }
        if fclose(fp) != 0 { ok = false }
        guard ok else {
            unlink(tmp)
            throw TensorFileError(file: path, "write failed (\(String(cString: strerror(errno))))")
        }
        guard rename(tmp, path) == 0 else {
            unlink(tmp)
            throw TensorFileError(file: path, "cannot rename \(tmp) into place (\(String(cString: strerror(errno))))")
        }
    }
}
