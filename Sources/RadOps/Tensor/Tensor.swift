import Foundation

/// A contiguous, row-major fp32 tensor: a shape and an offset into a shared `TensorStorage`.
///
/// `Tensor` is a class because autodiff needs identity: the tape refers to the tensors an op read and
/// wrote, and a parameter's `grad` accumulates across every use. Views (`reshaped`, `rows`) share
/// storage; they never copy.
public final class Tensor: @unchecked Sendable {
    public let shape: [Int]
    public let storage: TensorStorage
    public let offset: Int
    /// Number of elements (product of `shape`).
    public let count: Int
    /// When true and a `Tape` is active, ops that read this tensor record how to back-propagate into it.
    public var requiresGrad: Bool
    /// Accumulated gradient, same shape; allocated on first accumulation.
    public var grad: Tensor?
    /// Optional name (checkpoint key of a parameter); used in error messages.
    public var name: String?

    public init(storage: TensorStorage, offset: Int = 0, shape: [Int], requiresGrad: Bool = false) {
        let n = shape.reduce(1, *)
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        precondition(offset >= 0 && offset + n <= storage.count, "view \(shape)@\(offset) outside storage of \(storage.count)")
        self.shape = shape
        self.storage = storage
        self.offset = offset
        self.count = n
        self.requiresGrad = requiresGrad
    }

    /// A new zero-filled tensor.
    public convenience init(zeros shape: [Int], requiresGrad: Bool = false) {
        self.init(storage: TensorStorage(count: shape.reduce(1, *)), shape: shape, requiresGrad: requiresGrad)
    }

    /// A new tensor whose contents are garbage until written: only for outputs a kernel overwrites whole.
    public convenience init(uninitialized shape: [Int]) {
        self.init(storage: TensorStorage(count: shape.reduce(1, *), zeroed: false), shape: shape)
    }

    /// A new tensor holding `values` (row-major).
    public convenience init(shape: [Int], values: [Float], requiresGrad: Bool = false) {
        precondition(shape.reduce(1, *) == values.count, "shape \(shape) does not hold \(values.count) values")
        self.init(zeros: shape, requiresGrad: requiresGrad)
        values.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { data.update(from: base, count: values.count) }
        }
    }

    /// A new tensor filled element by element.
    public convenience init(shape: [Int], requiresGrad: Bool = false, _ fill: (Int) -> Float) {
        self.init(zeros: shape, requiresGrad: requiresGrad)
        let p = data
        for i in 0..<count { p[i] = fill(i) }
    }

    /// Pointer to the first element of this view.
    @inlinable public var data: UnsafeMutablePointer<Float> { storage.pointer + offset }

    @inlinable public var rank: Int { shape.count }

    /// Size of the last dimension (1 for a scalar).
    @inlinable public var lastDim: Int { shape.last ?? 1 }

    /// Number of rows when the tensor is viewed as a matrix [count / lastDim, lastDim].
    @inlinable public var rowCount: Int { lastDim == 0 ? 0 : count / lastDim }

    /// The values, copied out (for tests and small results; never in hot paths).
    public func toArray() -> [Float] { Array(UnsafeBufferPointer(start: data, count: count)) }

    /// The single value of a one-element tensor.
    public var item: Float {
        precondition(count == 1, "item of a tensor with \(count) elements")
        return data[0]
    }

    /// A copy that shares nothing with `self` and records nothing.
    public func copy() -> Tensor {
        let t = Tensor(zeros: shape)
        t.data.update(from: data, count: count)
        return t
    }

    /// Allocates `grad` if needed and returns it.
    public func ensureGrad() -> Tensor {
        if let g = grad { return g }
        let g = Tensor(zeros: shape)
        grad = g
        return g
    }

    /// Adds `n == count` values into `grad` (allocating it on first use).
    public func accumulateGrad(_ values: UnsafePointer<Float>) {
        let g = ensureGrad().data
        for i in 0..<count { g[i] += values[i] }
    }

    /// Sets every element to `value`.
    public func fill(_ value: Float) {
        let p = data
        for i in 0..<count { p[i] = value }
    }

    public func zeroGrad() { grad = nil }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let head = toArray().prefix(6).map { String(format: "%.5g", $0) }.joined(separator: ", ")
        return "Tensor\(shape)(\(head)\(count > 6 ? ", ..." : ""))"
    }
}
