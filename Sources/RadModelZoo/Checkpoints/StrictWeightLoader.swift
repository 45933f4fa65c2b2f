import RadOps

/// A problem matching a checkpoint against what a model expects.
public enum WeightLoadError: Error, CustomStringConvertible, Equatable {
    case missing(name: String, origin: String)
    case shapeMismatch(name: String, expected: [Int], actual: [Int], origin: String)
    case unused(names: [String], origin: String)

    public var description: String {
        switch self {
        case .missing(let name, let origin):
            return "\(origin): missing tensor '\(name)'"
        case .shapeMismatch(let name, let expected, let actual, let origin):
            return "\(origin): tensor '\(name)' has shape \(actual), the model expects \(expected)"
        case .unused(let names, let origin):
            let shown = names.prefix(10).joined(separator: ", ")
            return "\(origin): \(names.count) tensor(s) not used by the model: \(shown)\(names.count > 10 ? ", ..." : "")"
        }
    }
}

/// Strict loading: every tensor the model takes must exist with the right shape, and every tensor
/// of the checkpoint must be taken (or explicitly allowed to be unused), so a wrong or partial
/// checkpoint fails loudly instead of leaving a model half-initialised.
///
///     var loader = StrictWeightLoader(source)
///     let w = try loader.take("model.norm.weight", shape: [576])
///     try loader.finish(allowUnused: ["lm_head.weight"])
public struct StrictWeightLoader {
    public let source: any WeightSource
    public private(set) var taken = Set<String>()

    public init(_ source: any WeightSource) { self.source = source }

    public func has(_ name: String) -> Bool { source.shape(name) != nil }

    public mutating func take(_ name: String, shape: [Int]) throws -> Tensor {
        guard let actual = source.shape(name) else { throw WeightLoadError.missing(name: name, origin: source.origin) }
        guard actual == shape else {
            throw WeightLoadError.shapeMismatch(name: name, expected: shape, actual: actual, origin: source.origin)
        }
        taken.insert(name)
        return try source.load(name)
    }

    /// `take` if the checkpoint has `name`, else nil.
    public mutating func takeIfPresent(_ name: String, shape: [Int]) throws -> Tensor? {
        has(name) ? try take(name, shape: shape) : nil
    }

    /// Throws if tensors were left untaken. `allowUnused` entries are exact names, or patterns with
    /// a leading or trailing `*` (`*.rotary_emb.inv_freq`).
    public func finish(allowUnused: [String] = []) throws {
        let unused = source.tensorNames.filter { name in
            !taken.contains(name) && !allowUnused.contains { pattern in
                if pattern.hasPrefix("*") { return name.hasSuffix(String(pattern.dropFirst())) }
                if pattern.hasSuffix("*") { return name.hasPrefix(String(pattern.dropLast())) }
                return name == pattern
            }
        }
        if !unused.isEmpty { throw WeightLoadError.unused(names: unused, origin: source.origin) }
    }
}
