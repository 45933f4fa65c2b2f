import Foundation

/// Megatron-LM indexed dataset (`.bin` tokens + `.idx` index), the format of the paper's pre-tokenised
/// DCLM data. Only what training needs is read: the token dtype and the concatenated token stream.
public struct BinIdxDataset {
    public struct FormatError: Error, CustomStringConvertible {
        public let description: String
    }

    /// All tokens of every document, in file order.
    public let tokens: [Int32]
    public let documentCount: Int

    /// `prefix` is the path without extension (`data/dclm` for `data/dclm.bin` + `data/dclm.idx`).
    public init(prefix: String) throws {
        let idxPath = prefix + ".idx", binPath = prefix + ".bin"
        guard let idx = FileManager.default.contents(atPath: idxPath) else {
            throw FormatError(description: "\(idxPath): cannot read the index file")
        }
        let magic: [UInt8] = Array("MMIDIDX\0\0".utf8)
        guard idx.count >= 34, Array(idx.prefix(9)) == magic else {
            throw FormatError(description: "\(idxPath): not a Megatron index (bad magic)")
        }
        func u64(_ at: Int) -> UInt64 { idx.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: UInt64.self) } }
        let version = u64(9)
        guard version == 1 else { throw FormatError(description: "\(idxPath): unsupported index version \(version)") }
        let code = idx[17]
        // Megatron dtype codes: 1 u8, 2 i8, 3 i16, 4 i32, 5 i64, 8 u16.
        let width: Int
        switch code { case 1, 2: width = 1; case 3, 8: width = 2; case 4: width = 4; case 5: width = 8
        default: throw FormatError(description: "\(idxPath): unsupported token dtype code \(code)") }
        let sequences = u64(18), docs = u64(26)
        guard sequences < 1 << 40, docs < 1 << 40 else { throw FormatError(description: "\(idxPath): implausible counts") }
        documentCount = Int(docs) > 0 ? Int(docs) - 1 : 0
        guard let bin = FileManager.default.contents(atPath: binPath) else {
            throw FormatError(description: "\(binPath): cannot read the token file")
        }
        guard bin.count % width == 0 else { throw FormatError(description: "\(binPath): size is not a multiple of \(width)") }
        let n = bin.count / width
        var out = [Int32](repeating: 0, count: n)
        try bin.withUnsafeBytes { raw in
            for i in 0..<n {
                let v: Int64
                switch code {
                case 1: v = Int64(raw.load(fromByteOffset: i, as: UInt8.self))
                case 2: v = Int64(raw.load(fromByteOffset: i, as: Int8.self))
                case 3: v = Int64(raw.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self))
                case 8: v = Int64(raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                case 4: v = Int64(raw.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self))
                default: v = raw.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self)
                }
                guard v >= 0 && v <= Int64(Int32.max) else {
                    throw FormatError(description: "\(binPath): token \(v) at position \(i) is out of range")
                }
                out[i] = Int32(v)
            }
        }
        tokens = out
    }
}
