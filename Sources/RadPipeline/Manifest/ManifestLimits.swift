/// Sizes a manifest may not exceed, checked before anything of that size is read or built: a manifest
/// is a few KB of settings, so these are far above any real one (the largest in `pipelines/` is 2.6 KB)
/// and far below what could exhaust memory (a 40-level `vars:` doubling chain would build 2^40 bytes).
public enum ManifestLimits {
    /// A manifest file, and each file it `extends`.
    public static let maxFileBytes = 1 << 20
    /// The text of one `-s PATH=VALUE` override.
    public static let maxOverrideBytes = 64 << 10
    /// One scalar after `${...}` interpolation.
    public static let maxInterpolatedScalarBytes = 64 << 10
    /// All text that interpolation builds in one manifest together (aliases can repeat a large scalar
    /// many times).
    public static let maxInterpolatedTotalBytes = 16 << 20
}

/// What interpolation has built so far in one manifest, against `maxInterpolatedTotalBytes`.
final class InterpolationBudget {
    private(set) var used = 0
    /// Whether the overrun has been reported (once per manifest).
    var reported = false
    /// Counts `bytes`; false (and nothing counted) when they would pass the cap.
    func spend(_ bytes: Int) -> Bool {
        guard used + bytes <= ManifestLimits.maxInterpolatedTotalBytes else { return false }
        used += bytes
        return true
    }
}
