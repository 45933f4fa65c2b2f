import RadOps
import Foundation

/// A metadata value of a GGUF file.
public enum GGUFValue: Sendable, Equatable {
    case uint(UInt64), int(Int64), float(Double), bool(Bool), string(String)
    case array([GGUFValue])

    public var intValue: Int? {
        switch self {
        case .uint(let u): return u <= UInt64(Int.max) ? Int(u) : nil
        case .int(let i): return Int(i)
        default: return nil
        }
    }
    public var doubleValue: Double? {
        switch self {
        case .float(let d): return d
        case .uint(let u): return Double(u)
        case .int(let i): return Double(i)
        default: return nil
        }
    }
    public var stringValue: String? { if case .string(let s) = self { return s }; return nil }
    public var boolValue: Bool? { if case .bool(let b) = self { return b }; return nil }
    public var arrayValue: [GGUFValue]? { if case .array(let a) = self { return a }; return nil }
}

/// The ggml tensor types rad knows (block size and bytes per block); only some can be dequantised.
public struct GGMLType: Sendable, Equatable, CustomStringConvertible {
    public let id: UInt32
    public init(id: UInt32) { self.id = id }

    public static let f32 = GGMLType(id: 0), f16 = GGMLType(id: 1), q4_0 = GGMLType(id: 2), q4_1 = GGMLType(id: 3)
    public static let q8_0 = GGMLType(id: 8), bf16 = GGMLType(id: 30)

    static let table: [UInt32: (name: String, block: Int, bytes: Int)] = [
        0: ("F32", 1, 4), 1: ("F16", 1, 2), 2: ("Q4_0", 32, 18), 3: ("Q4_1", 32, 20),
        6: ("Q5_0", 32, 22), 7: ("Q5_1", 32, 24), 8: ("Q8_0", 32, 34), 9: ("Q8_1", 32, 36),
        10: ("Q2_K", 256, 84), 11: ("Q3_K", 256, 110), 12: ("Q4_K", 256, 144), 13: ("Q5_K", 256, 176),
        14: ("Q6_K", 256, 210), 15: ("Q8_K", 256, 292), 24: ("I8", 1, 1), 25: ("I16", 1, 2),
        26: ("I32", 1, 4), 27: ("I64", 1, 8), 28: ("F64", 1, 8), 30: ("BF16", 1, 2),
    ]

    public var name: String { Self.table[id]?.name ?? "type \(id)" }
    public var description: String { name }
    /// Values per block and bytes per block, when known.
    public var blockLayout: (block: Int, bytes: Int)? { Self.table[id].map { ($0.block, $0.bytes) } }
    public var isDequantizable: Bool { [0, 1, 2, 3, 8, 30].contains(id) }
}

/// One tensor of a GGUF file. `dims` are GGUF order, innermost first (dims[0] = columns).
public struct GGUFTensorInfo: Sendable, Equatable {
    public var name: String
    public var dims: [Int]
    public var type: GGMLType
    /// Byte range inside the file; nil when the type's size is unknown (such a tensor cannot load).
    public var byteRange: Range<Int>?
    public var elementCount: Int { dims.reduce(1, *) }
    /// The row-major (PyTorch/HF) shape: the reverse of `dims`.
    public var shape: [Int] { dims.reversed() }
}

/// A memory-mapped GGUF file (v2 or v3): header, metadata, tensor infos. Every count, length and
/// offset in the file is untrusted and checked against the file size before anything is allocated.
public final class GGUFFile: @unchecked Sendable {
    public let path: String
    public let version: UInt32
    public let metadata: [String: GGUFValue]
    /// Metadata keys in file order.
    public let metadataKeys: [String]
    public let tensorInfos: [GGUFTensorInfo]
    public let tensorsByName: [String: GGUFTensorInfo]
    public let alignment: Int
    public let dataStart: Int
    let file: MappedFile

    public init(path: String) throws {
        self.path = path
        file = try MappedFile(path: path)
        var r = GGUFReader(file: file)
        let magic = try r.bytes(4)
        guard Array(magic) == Array("GGUF".utf8) else {
            throw TensorFileError(file: path, "not a GGUF file (bad magic \(Array(magic).map { String(format: "%02x", $0) }.joined()))")
        }
        version = try r.u32()
        if version.byteSwapped == 2 || version.byteSwapped == 3 {
            throw TensorFileError(file: path, "big-endian GGUF is not supported")
        }
        guard version == 2 || version == 3 else {
            throw TensorFileError(file: path, "unsupported GGUF version \(version) (rad reads 2 and 3)")
        }
        let tensorCount = try r.u64()
        let kvCount = try r.u64()
        // Each tensor info takes at least 24 bytes and each key/value at least 13: bound the counts.
        guard tensorCount <= UInt64(file.size / 24), kvCount <= UInt64(file.size / 13) else {
            throw TensorFileError(file: path, "header claims \(tensorCount) tensors and \(kvCount) metadata entries, more than the file (\(file.size) bytes) can hold")
        }
        var metadata: [String: GGUFValue] = [:]
        var keys: [String] = []
        for _ in 0..<kvCount {
            let key = try r.string()
            let type = try r.u32()
            let value = try r.value(type: type, key: key, depth: 0)
            if metadata.updateValue(value, forKey: key) == nil { keys.append(key) }
        }
        var alignment = 32
        if let a = metadata["general.alignment"] {
            guard let n = a.intValue, n > 0, n <= 1 << 20, n & (n - 1) == 0 else {
                throw TensorFileError(file: path, "general.alignment \(a) is not a power of two")
            }
            alignment = n
        }
        var raw: [(String, [Int], GGMLType, UInt64)] = []
        for _ in 0..<tensorCount {
            let name = try r.string()
            let nDims = try r.u32()
            guard nDims >= 1 && nDims <= 4 else {
                throw TensorFileError(file: path, tensor: name, "has \(nDims) dimensions (GGUF allows 1 to 4)")
            }
            var dims: [Int] = []
            var count: UInt64 = 1
            for _ in 0..<nDims {
                let d = try r.u64()
                // max(d, 1): a zero dimension empties the tensor but must not let the others be any
                // size (Int(d) would trap, and the reversed shape's partial products overflow).
                let (p, overflow) = count.multipliedReportingOverflow(by: max(d, 1))
                guard !overflow, p <= UInt64(file.size) * 8 else {
                    throw TensorFileError(file: path, tensor: name, "dimensions are larger than the file could hold")
                }
                count = p
                dims.append(Int(d))
            }
            let type = GGMLType(id: try r.u32())
            let offset = try r.u64()
            raw.append((name, dims, type, offset))
        }
        let dataStart = (r.position + alignment - 1) / alignment * alignment
        var infos: [GGUFTensorInfo] = []
        var byName: [String: GGUFTensorInfo] = [:]
        for (name, dims, type, offset) in raw {
            var range: Range<Int>?
            if let layout = type.blockLayout {
                let count = dims.reduce(1, *)
                guard dims[0] % layout.block == 0 else {
                    throw TensorFileError(file: path, tensor: name, "row length \(dims[0]) is not a multiple of the \(type) block size \(layout.block)")
                }
                let bytes = count / layout.block * layout.bytes
                guard offset <= UInt64(file.size), dataStart + Int(offset) + bytes <= file.size else {
                    throw TensorFileError(file: path, tensor: name, "data at offset \(offset) (\(bytes) bytes) lies beyond the end of the file (\(file.size) bytes)")
                }
                range = (dataStart + Int(offset))..<(dataStart + Int(offset) + bytes)
            }
            let info = GGUFTensorInfo(name: name, dims: dims, type: type, byteRange: range)
            guard byName.updateValue(info, forKey: name) == nil else {
                throw TensorFileError(file: path, tensor: name, "appears twice")
            }
            infos.append(info)
        }
        // Offsets in messages are the file's own: relative to the data section.
        try TensorSpans.requireDisjoint(infos.compactMap { t in t.byteRange.map { (t.name, $0) } }, file: path, base: dataStart)
        self.metadata = metadata
        self.metadataKeys = keys
        self.tensorInfos = infos
        self.tensorsByName = byName
        self.alignment = alignment
        self.dataStart = dataStart
    }

    public var architecture: String? { metadata["general.architecture"]?.stringValue }

    /// Dequantises tensor `name` to fp32 in the file's row-major layout (shape = reversed dims).
    public func loadRaw(_ name: String) throws -> Tensor {
        guard let info = tensorsByName[name] else { throw TensorFileError(file: path, tensor: name, "no such tensor") }
        guard info.type.isDequantizable, let range = info.byteRange else {
            throw TensorFileError(file: path, tensor: name, "unsupported tensor type \(info.type) (rad reads F32, F16, BF16, Q8_0, Q4_0, Q4_1)")
        }
        let t = Tensor(zeros: info.shape)
        t.name = name
        if let src = file.bytes(range).baseAddress {
            GGUFDequant.dequantize(type: info.type, src, into: t.data, count: info.elementCount)
        }
        return t
    }
}

/// Bounds-checked little-endian reads from the mapped file.
struct GGUFReader {
    let file: MappedFile
    var position = 0

    init(file: MappedFile) { self.file = file }

    func truncated(_ what: String) -> TensorFileError {
        TensorFileError(file: file.path, "truncated: \(what) at byte \(position) runs past the end of the file (\(file.size) bytes)")
    }

    mutating func bytes(_ n: Int) throws -> UnsafeRawBufferPointer {
        guard n >= 0, n <= file.size - position else { throw truncated("\(n) bytes") }
        defer { position += n }
        return file.bytes(position..<(position + n))
    }

    mutating func load<T: FixedWidthInteger>(_: T.Type) throws -> T {
        let b = try bytes(MemoryLayout<T>.size)
        return T(littleEndian: b.loadUnaligned(as: T.self))
    }
    mutating func u32() throws -> UInt32 { try load(UInt32.self) }
    mutating func u64() throws -> UInt64 { try load(UInt64.self) }

    mutating func string() throws -> String {
        let n = try u64()
        guard n <= UInt64(file.size - position) else {
            throw TensorFileError(file: file.path, "string of \(n) bytes at byte \(position) runs past the end of the file (\(file.size) bytes)")
        }
        return String(decoding: try bytes(Int(n)), as: UTF8.self)
    }

    /// Fewest bytes a value of each type takes in the file (bounds hostile array counts).
    static let minValueSize: [UInt32: UInt64] = [0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 8: 8, 9: 12, 10: 8, 11: 8, 12: 8]

    mutating func value(type: UInt32, key: String, depth: Int) throws -> GGUFValue {
        switch type {
        case 0: return .uint(UInt64(try load(UInt8.self)))
        case 1: return .int(Int64(try load(Int8.self)))
        case 2: return .uint(UInt64(try load(UInt16.self)))
        case 3: return .int(Int64(try load(Int16.self)))
        case 4: return .uint(UInt64(try load(UInt32.self)))
        case 5: return .int(Int64(try load(Int32.self)))
        case 6: return .float(Double(Float(bitPattern: try load(UInt32.self))))
        case 7: return .bool(try load(UInt8.self) != 0)
        case 8: return .string(try string())
        case 10: return .uint(try u64())
        case 11: return .int(try load(Int64.self))
        case 12: return .float(Double(bitPattern: try u64()))
        case 9:
            guard depth < 2 else { throw TensorFileError(file: file.path, "metadata '\(key)': arrays nested too deeply") }
            let elementType = try u32()
            let count = try u64()
            let minSize = Self.minValueSize[elementType] ?? 1
            guard count <= UInt64(file.size - position) / minSize else {
                throw TensorFileError(file: file.path, "metadata '\(key)': array of \(count) elements runs past the end of the file (\(file.size) bytes)")
            }
            var items: [GGUFValue] = []
            items.reserveCapacity(Int(min(count, 1 << 16)))
            for _ in 0..<count { items.append(try value(type: elementType, key: key, depth: depth + 1)) }
            return .array(items)
        default:
            throw TensorFileError(file: file.path, "metadata '\(key)': unknown value type \(type)")
        }
    }
}
