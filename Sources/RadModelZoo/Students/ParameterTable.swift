import Foundation
import RadOps

/// How a student parameter starts life (spec §1.1).
public enum ParameterInit {
    /// Copied from the teacher tensor with this checkpoint key.
    case teacher(String)
    case zeros
    case constant(Float)
    /// U(-bound, bound).
    case uniform(Float)
    /// Orthogonal init with `gain` (rows or columns orthonormal, times gain), as torch.nn.init.orthogonal_.
    case orthogonal(Float)
    /// A closed-form value per element index.
    case formula((Int) -> Float)
}

/// One named parameter of a mixer: its short name (after the layer's `self_attn.` prefix), shape and init.
public struct ParameterSpec {
    public var name: String
    public var shape: [Int]
    public var initializer: ParameterInit
    public init(_ name: String, _ shape: [Int], _ initializer: ParameterInit) {
        self.name = name; self.shape = shape; self.initializer = initializer
    }
}

/// A mixer's parameters, addressable by short name, in a stable order (the order of the specs).
/// Full checkpoint keys are `prefix + name`, e.g. `model.layers.3.self_attn.time_decay`.
public final class ParameterTable {
    public let prefix: String
    public private(set) var order: [String] = []
    private var byName: [String: Tensor] = [:]

    public init(prefix: String) { self.prefix = prefix }

    public func set(_ name: String, _ tensor: Tensor) {
        if byName[name] == nil { order.append(name) }
        tensor.name = prefix + name
        byName[name] = tensor
    }

    public subscript(name: String) -> Tensor {
        guard let t = byName[name] else { preconditionFailure("no parameter '\(prefix)\(name)'") }
        return t
    }

    public func optional(_ name: String) -> Tensor? { byName[name] }

    public var tensors: [Tensor] { order.map { byName[$0]! } }

    /// The projection `name` (`name.weight` and, when present, `name.bias`), bound once.
    public func projection(_ name: String, heads: Int, headDim: Int) -> HeadProjection {
        HeadProjection(weight: self[name + ".weight"], bias: optional(name + ".bias"), heads: heads, headDim: headDim)
    }
}

/// A linear projection split into heads: x [B, T, C] -> [B, T, heads, headDim].
public struct HeadProjection {
    public let weight: Tensor
    public let bias: Tensor?
    public let heads: Int, headDim: Int

    public func callAsFunction(_ x: Tensor) -> Tensor {
        linear(x, weight: weight, bias: bias).reshaped([x.shape[0], x.shape[1], heads, headDim])
    }
}

/// A student mixer, whose full parameter table (including tensors kept only for the checkpoint format,
/// which `parameters` leaves out) is exported.
public protocol ParameterTableOwner { var table: ParameterTable { get } }

/// Deterministic random numbers for initialisation (SplitMix64 + Box-Muller), so a seed fixes the student.
public struct InitRNG {
    private var state: UInt64
    public init(seed: UInt64) { state = seed ^ 0x5DEE_CE66_D1CE_4E5B }

    public mutating func nextUInt64() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    public mutating func unit() -> Double { Double(nextUInt64() >> 11) / Double(1 << 53) }

    public mutating func normal() -> Double {
        let u1 = max(unit(), 1e-300), u2 = unit()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    /// A child generator for one (layer, parameter), so adding a parameter does not shift the others.
    public func derived(_ label: String) -> InitRNG {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in label.utf8 { h = (h ^ UInt64(byte)) &* 0x100_0000_01B3 }
        return InitRNG(seed: state ^ h)
    }
}

public enum Initializers {
    /// A tensor of `shape` per `spec`; `teacher` resolves `.teacher(key)` copies.
    public static func make(_ spec: ParameterSpec, rng: inout InitRNG, teacher: (String) -> Tensor?) -> Tensor {
        let t = Tensor(zeros: spec.shape)
        switch spec.initializer {
        case .teacher(let key):
            guard let src = teacher(key) else { preconditionFailure("teacher tensor '\(key)' missing") }
            precondition(src.count == t.count, "teacher tensor '\(key)' \(src.shape) does not fit \(spec.shape)")
            t.data.update(from: src.data, count: t.count)
        case .zeros:
            break
        case .constant(let v):
            t.fill(v)
        case .uniform(let bound):
            for i in 0..<t.count { t.data[i] = Float((rng.unit() * 2 - 1) * Double(bound)) }
        case .orthogonal(let gain):
            orthogonal(t, gain: gain, rng: &rng)
        case .formula(let f):
            for i in 0..<t.count { t.data[i] = f(i) }
        }
        return t
    }

    /// Orthogonal matrix (the last dimension is the column count; leading dimensions are rows):
    /// Gram-Schmidt on Gaussian vectors in Double. Rows orthonormal when rows ≤ cols, else columns.
    /// `gain` follows the RADLADS `ortho_init`: `scale * sqrt(rows/cols)` when rows > cols.
    public static func orthogonal(_ t: Tensor, gain: Float, rng: inout InitRNG) {
        let cols = t.lastDim, rows = t.count / max(cols, 1)
        let tall = rows > cols
        let (vecs, len) = tall ? (cols, rows) : (rows, cols)
        var basis = [[Double]]()
        for _ in 0..<vecs {
            var v = (0..<len).map { _ in rng.normal() }
            for _ in 0..<2 {   // twice for numerical orthogonality
                for u in basis {
                    var d = 0.0
                    for i in 0..<len { d += v[i] * u[i] }
                    for i in 0..<len { v[i] -= d * u[i] }
                }
            }
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            basis.append(v.map { $0 / norm })
        }
        let g = Double(gain) * (tall ? (Double(rows) / Double(cols)).squareRoot() : 1)
        for r in 0..<rows {
            for c in 0..<cols {
                t.data[r * cols + c] = Float(g * (tall ? basis[c][r] : basis[r][c]))
            }
        }
    }
}

/// The RADLADS LoRA rank rule: `max(1, round(C^e · m / 32)) · 32` (Python banker's rounding).
public func radladsLoRARank(hidden c: Int, exponent e: Double, multiplier m: Double) -> Int {
    let x = pow(Double(c), e) * m / 32
    return max(1, Int(x.rounded(.toNearestOrEven))) * 32
}

/// The teacher's attention projections with their q/k/v biases, copied 1:1 into every student under the
/// same names (spec §1.1: receptance <- W_q, key <- W_k, value <- W_v, output <- W_o).
public func teacherProjectionSpecs(config: TransformerConfig, layer: Int) -> [ParameterSpec] {
    let c = config.hiddenSize, d = config.numHeads * config.headDim, kv = config.numKVHeads * config.headDim
    let prefix = "model.layers.\(layer).self_attn."
    var s: [ParameterSpec] = []
    for (name, rows) in [("q_proj", d), ("k_proj", kv), ("v_proj", kv)] {
        s.append(ParameterSpec(name + ".weight", [rows, c], .teacher(prefix + name + ".weight")))
        if config.attentionBias { s.append(ParameterSpec(name + ".bias", [rows], .teacher(prefix + name + ".bias"))) }
    }
    s.append(ParameterSpec("o_proj.weight", [c, d], .teacher(prefix + "o_proj.weight")))
    return s
}
