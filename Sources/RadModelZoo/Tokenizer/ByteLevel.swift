/// GPT-2's byte <-> printable-character map: byte-level BPE vocabularies spell every byte as a
/// visible Unicode character (printable Latin-1 bytes as themselves, the other 68 bytes as
/// U+0100... in byte order), so that tokens never contain spaces or control characters.
public enum ByteLevel {
    /// byte -> the scalar that spells it in the vocabulary.
    public static let byteToScalar: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        var next: UInt32 = 256
        for b in 0..<256 {
            let printable = (33...126).contains(b) || (161...172).contains(b) || (174...255).contains(b)
            if printable {
                table[b] = Unicode.Scalar(UInt32(b))!
            } else {
                table[b] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return table
    }()

    /// scalar value -> byte, for scalars below 324 (the table's range); -1 where none.
    public static let scalarToByte: [Int16] = {
        var table = [Int16](repeating: -1, count: 324)
        for (b, s) in byteToScalar.enumerated() { table[Int(s.value)] = Int16(b) }
        return table
    }()

    /// The vocabulary spelling of raw bytes.
    public static func encode<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        var s = String.UnicodeScalarView()
        for b in bytes { s.append(byteToScalar[Int(b)]) }
        return String(s)
    }

    /// The raw bytes a vocabulary string spells; nil if it contains a character outside the map.
    public static func decode(_ token: String) -> [UInt8]? {
        var out: [UInt8] = []
        for s in token.unicodeScalars {
            guard Int(s.value) < scalarToByte.count, scalarToByte[Int(s.value)] >= 0 else { return nil }
            out.append(UInt8(scalarToByte[Int(s.value)]))
        }
        return out
    }
}
