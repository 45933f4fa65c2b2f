/// Which layers of a hybrid student keep the teacher's softmax attention.
///
/// The reference code keeps the *last* N layers (`preserve_last_n_layers`, HF `num_attention_layers`);
/// a measured choice (`softmax_layers: { auto: K }`, chosen after stage 1 by each layer's KL cost) may
/// keep any K layers. A record stores `.last(n)` as the integer n and a choice as its list of indices.
public enum SoftmaxLayers: Sendable, Hashable, Codable, ExpressibleByIntegerLiteral, CustomStringConvertible {
    /// The last n layers (0: a pure recurrent student).
    case last(Int)
    /// These layer indices (ascending, distinct).
    case chosen([Int])

    public init(integerLiteral n: Int) { self = .last(n) }

    /// `indices` sorted and made distinct; a choice that is the final layers is stated as `.last`.
    public static func choice(_ indices: [Int], of layers: Int) -> SoftmaxLayers {
        let sorted = Array(Set(indices)).sorted()
        return sorted == Array((layers - sorted.count)..<layers) ? .last(sorted.count) : .chosen(sorted)
    }

    public var count: Int {
        switch self { case .last(let n): return n; case .chosen(let l): return l.count }
    }

    /// Whether layer `l` of `layers` keeps softmax attention.
    public func contains(_ l: Int, of layers: Int) -> Bool {
        switch self { case .last(let n): return l >= layers - n; case .chosen(let list): return list.contains(l) }
    }

    /// The indices among `layers`.
    public func indices(of layers: Int) -> [Int] { (0..<layers).filter { contains($0, of: layers) } }

    /// Why this set does not fit a model of `layers` layers, or nil.
    public func problem(layers: Int) -> String? {
        switch self {
        case .last(let n):
            return n >= 0 && n <= layers ? nil : "softmax_layers must be between 0 and \(layers), got \(n)"
        case .chosen(let list):
            if let bad = list.first(where: { $0 < 0 || $0 >= layers }) { return "softmax layer \(bad) is not a layer of 0..<\(layers)" }
            return Set(list).count == list.count ? nil : "softmax layers \(list) repeat a layer"
        }
    }

    public var description: String {
        switch self { case .last(let n): return "last \(n)"; case .chosen(let l): return "layers " + l.map(String.init).joined(separator: ", ") }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let n = try? c.decode(Int.self) { self = .last(n) } else { self = .chosen(try c.decode([Int].self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self { case .last(let n): try c.encode(n); case .chosen(let l): try c.encode(l) }
    }
}
