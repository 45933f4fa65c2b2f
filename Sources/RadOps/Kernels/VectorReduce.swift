/// Row reductions with 8-lane vector accumulators. A plain `for` loop summing into one Float is a
/// strict sequential sum that the compiler may not reorder, so it never vectorises; these do.
/// (The lane-wise order makes results differ from a sequential sum in the last bits.)
public enum VectorReduce {
    @inline(__always)
    static func load(_ p: UnsafePointer<Float>, _ i: Int) -> SIMD8<Float> {
        UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
    }

    /// Σ p[i].
    @inline(__always)
    public static func sum(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = SIMD8<Float>(repeating: 0), i = 0
        while i + 8 <= n { acc += load(p, i); i += 8 }
        var s = acc.sum()
        while i < n { s += p[i]; i += 1 }
        return s
    }

    /// Σ a[i]·b[i].
    @inline(__always)
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = SIMD8<Float>(repeating: 0), i = 0
        while i + 8 <= n { acc += load(a, i) * load(b, i); i += 8 }
        var s = acc.sum()
        while i < n { s += a[i] * b[i]; i += 1 }
        return s
    }

    /// Σ a[i]·b[i]·c[i].
    @inline(__always)
    public static func dot3(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = SIMD8<Float>(repeating: 0), i = 0
        while i + 8 <= n { acc += load(a, i) * load(b, i) * load(c, i); i += 8 }
        var s = acc.sum()
        while i < n { s += a[i] * b[i] * c[i]; i += 1 }
        return s
    }

    /// max p[i] (−∞ for n = 0).
    @inline(__always)
    public static func max(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = SIMD8<Float>(repeating: -.infinity), i = 0
        // Not `pointwiseMax`: the standard library's generic is called out of line once per vector (4.6 % of
        // a `rad score` profile); a lane-wise select inlines to vmaxps-like code.
        while i + 8 <= n { let v = load(p, i); acc.replace(with: v, where: v .> acc); i += 8 }
        var m = acc.max()
        while i < n { m = Swift.max(m, p[i]); i += 1 }
        return m
    }
}
