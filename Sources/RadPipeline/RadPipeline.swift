@_exported import RadModelZoo

/// Versions that enter every cache key and run record. Bump `numericsVersion` whenever a change in the
/// engine alters the numbers a step produces (a kernel's summation order, an init formula): every cached
/// artifact made by the old numerics is then recomputed instead of silently reused.
public enum RadVersion {
    public static let engine = "0.1.0"
    public static let numericsVersion = 1
}
