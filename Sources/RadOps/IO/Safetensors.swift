import Foundation

/// The storage dtypes rad reads and writes; compute is always fp32.
public enum TensorDType: String, Sendable, CaseIterable {
    case f32 = "F32", bf16 = "BF16", f16 = "F16"

    public var byteSize: Int { self == .f32 ? 4 : 2 }

    /// Converts `count` stored values at `src` to fp32.
    public func decode(_ src: UnsafeRawPointer, into dst: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .f32: HalfFloat.copyFloats(src, dst, count: count)
        case .bf16: HalfFloat.bf16ToFloat(src, dst, count: count)
        case .f16: HalfFloat.f16ToFloat(src, dst, count: count)
        }
    }

    /// Converts `count` fp32 values to this dtype at `dst`.
    public func encode(_ src: UnsafePointer<Float>, into dst: UnsafeMutableRawPointer, count: Int) {
        switch self {
        case .f32:
            for i in 0..<count { dst.storeBytes(of: src[i].bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self) }
        case .bf16: HalfFloat.floatToBF16(src, dst, count: count)
        case .f16: HalfFloat.floatToF16(src, dst, count: count)
        }
    }
}

/// One tensor entry of a safetensors header.
public struct SafetensorsTensorInfo: Sendable, Equatable {
    public var name: String
    /// The dtype as written in the file ("F32", "I64", ...); only `TensorDType` ones can be loaded.
    public var dtype: String
    public var shape: [Int]
    /// Byte range inside the file (already offset by the header).
    public var byteRange: Range<Int>
    public var elementCount: Int { shape.reduce(1, *) }
}

/// A memory-mapped safetensors file (https://github.com/huggingface/safetensors#format):
/// u64 little-endian header length N, N bytes of JSON, then the data section. Every number in the
/// header is checked against the file before use; nothing is read until a tensor is loaded.
public final class SafetensorsFile: @unchecked Sendable {
    public static let maxHeaderBytes = 100 * 1024 * 1024

    public let path: String
    public let metadata: [String: String]
    /// Tensor names in data order.
    public let tensorNames: [String]
    public let tensors: [String: SafetensorsTensorInfo]
    private let file: MappedFile

    /// Byte sizes of every dtype the format defines, so that spans of tensors rad cannot load are
    /// still checked.
    static let knownDTypeSizes: [String: Int] = [
        "F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1,
        "U64": 8, "U32": 4, "U16": 2, "U8": 1, "BOOL": 1, "F8_E4M3": 1, "F8_E5M2": 1,
    ]

    public init(path: String) throws {
        self.path = path
        file = try MappedFile(path: path)
        func fail(_ message: String) -> TensorFileError { TensorFileError(file: path, message) }
        func fail(_ tensor: String, _ message: String) -> TensorFileError {
            TensorFileError(file: path, tensor: tensor, message)
        }
        guard file.size >= 8, let base = file.base else {
            throw fail("truncated: \(file.size) bytes, a safetensors file starts with an 8-byte header length")
        }
        let headerLength = UInt64(littleEndian: base.loadUnaligned(as: UInt64.self))
        guard headerLength <= UInt64(file.size - 8) else {
            throw fail("header length \(headerLength) exceeds the file (\(file.size) bytes): truncated or not safetensors")
        }
        guard headerLength <= UInt64(Self.maxHeaderBytes) else {
            throw fail("header length \(headerLength) is over the \(Self.maxHeaderBytes)-byte limit")
        }
        let dataStart = 8 + Int(headerLength)
        let dataSize = file.size - dataStart
        let headerData = Data(file.bytes(8..<dataStart))
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: headerData)
        } catch {
            throw fail("header is not valid JSON")
        }
        guard let root = json as? [String: Any] else { throw fail("header is not a JSON object") }

        var metadata: [String: String] = [:]
        var infos: [SafetensorsTensorInfo] = []
        for (name, value) in root {
            if name == "__metadata__" {
                guard let dict = value as? [String: Any] else { throw fail("__metadata__ is not an object") }
                for (k, v) in dict {
                    guard let s = v as? String else { throw fail("__metadata__ value of '\(k)' is not a string") }
                    metadata[k] = s
                }
                continue
            }
            guard let entry = value as? [String: Any] else { throw fail(name, "header entry is not an object") }
            guard let dtype = entry["dtype"] as? String else { throw fail(name, "missing dtype") }
            guard let elementSize = Self.knownDTypeSizes[dtype] else { throw fail(name, "unknown dtype \(dtype)") }
            guard let shapeArray = entry["shape"] as? [Any] else { throw fail(name, "missing shape") }
            var shape: [Int] = []
            var count = 1
            for d in shapeArray {
                guard let n = jsonInt(d) else { throw fail(name, "shape \(shapeArray) is not a list of non-negative integers") }
                let (p, overflow) = count.multipliedReportingOverflow(by: n)
                guard !overflow, p <= Int(Int32.max) * 64 else { throw fail(name, "shape \(shapeArray) is too large") }
                count = p
                shape.append(n)
            }
            guard let offsets = entry["data_offsets"] as? [Any], offsets.count == 2,
                  let begin = jsonInt(offsets[0]), let end = jsonInt(offsets[1]) else {
                throw fail(name, "data_offsets is not a pair of non-negative integers")
            }
            guard begin <= end, end <= dataSize else {
                throw fail(name, "data_offsets [\(begin), \(end)] lie beyond the data section (\(dataSize) bytes)")
            }
            guard end - begin == count * elementSize else {
                throw fail(name, "holds \(end - begin) bytes but \(dtype) \(shape) needs \(count * elementSize)")
            }
            infos.append(SafetensorsTensorInfo(name: name, dtype: dtype, shape: shape,
                                               byteRange: (dataStart + begin)..<(dataStart + end)))
        }
        infos.sort { ($0.byteRange.lowerBound, $0.name) < ($1.byteRange.lowerBound, $1.name) }
        try TensorSpans.requireDisjoint(infos.map { ($0.name, $0.byteRange) }, file: path, base: dataStart)
        self.metadata = metadata
        self.tensorNames = infos.map(\.name)
        self.tensors = Dictionary(uniqueKeysWithValues: infos.map { ($0.name, $0) })
    }

    public func info(_ name: String) -> SafetensorsTensorInfo? { tensors[name] }

    /// Loads tensor `name` as fp32 (F32, BF16 and F16 are supported).
    public func load(_ name: String) throws -> Tensor {
        guard let info = tensors[name] else { throw TensorFileError(file: path, tensor: name, "no such tensor") }
        guard let dtype = TensorDType(rawValue: info.dtype) else {
            throw TensorFileError(file: path, tensor: name, "unsupported dtype \(info.dtype) (rad loads F32, BF16, F16)")
        }
        let t = Tensor(zeros: info.shape)
        t.name = name
        let src = file.bytes(info.byteRange)
        if let s = src.baseAddress {
            let n = info.elementCount
            let dst = t.data
            Parallel.forRanges(n, minPerThread: 1 << 18) { r in
                dtype.decode(s + r.lowerBound * dtype.byteSize, into: dst + r.lowerBound, count: r.count)
            }
        }
        return t
    }
}

/// A non-negative integer from a JSON number (JSONSerialization gives NSNumber, Int or Double).
func jsonInt(_ v: Any) -> Int? {
    if let n = v as? Int { return n >= 0 ? n : nil }
    if let d = v as? Double, d >= 0, d < 9.0e15, d.rounded() == d { return Int(d) }
    return nil
}
