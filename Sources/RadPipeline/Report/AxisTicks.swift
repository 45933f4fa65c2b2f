import Foundation

/// Tick marks for a chart axis: round values 1, 2 or 5 times a power of ten apart, from a multiple of
/// the step at or below the data's minimum to one at or above its maximum, so every point lies within
/// the ticks. About `target` intervals; labels carry just the decimals the step needs.
public struct AxisTicks: Equatable, Sendable {
    /// How labels are written: plain numbers, or counts with k / M / G (tokens).
    public enum Style: Sendable { case plain, count }

    public var lower: Double
    public var upper: Double
    public var step: Double
    public var style: Style

    public init(covering lo: Double, _ hi: Double, target: Int = 5, style: Style = .plain) {
        self.style = style
        var lo = lo.isFinite ? lo : 0, hi = hi.isFinite ? hi : 1
        if lo > hi { swap(&lo, &hi) }
        // A flat series (a constant learning rate) still gets an axis around its value.
        if hi - lo <= abs(hi) * 1e-12 {
            if lo == 0 { hi = 1 } else { let pad = abs(lo) * 0.1; lo -= pad; hi += pad }
        }
        let raw = (hi - lo) / Double(max(1, target))
        let magnitude = pow(10, (log10(raw)).rounded(.down))
        let normalized = raw / magnitude
        let factor: Double = normalized <= 1 ? 1 : normalized <= 2 ? 2 : normalized <= 5 ? 5 : 10
        step = factor * magnitude
        // A bound within float noise of a multiple of the step is that multiple (2.4 / 0.2 = 11.999…), not
        // one step further out.
        lower = (lo / step + 1e-9).rounded(.down) * step
        upper = (hi / step - 1e-9).rounded(.up) * step
    }

    /// Every tick from `lower` to `upper`.
    public var values: [Double] {
        let first = (lower / step).rounded(), count = Int(((upper - lower) / step).rounded())
        return (0...max(0, count)).map { (first + Double($0)) * step }
    }

    /// The tick's text: `0.25`, `1.5e-4`, `48k`.
    public func label(_ v: Double) -> String {
        if abs(v) < step * 1e-6 { return "0" }
        let biggest = max(abs(lower), abs(upper))
        if style == .count, biggest >= 1000 {
            let (unit, suffix): (Double, String) = biggest >= 1e9 ? (1e9, "G") : biggest >= 1e6 ? (1e6, "M") : (1e3, "k")
            return Self.fixed(v / unit, step: step / unit) + suffix
        }
        if biggest < 1e5 && step >= 1e-3 { return Self.fixed(v, step: step) }
        // Scientific with one exponent for the whole axis (0.8e-4, 1.0e-4, 1.2e-4), and as many mantissa
        // digits as the step needs to tell neighbouring ticks apart.
        let exponent = Int((log10(biggest) + 1e-9).rounded(.down))
        let digits = max(0, exponent - Int((log10(step) + 1e-9).rounded(.down)))
        let mantissa = String(format: "%.\(digits)f", v / pow(10, Double(exponent)))
        return "\(mantissa)e\(exponent)"
    }

    /// `v` with the decimals that a step of `step` needs (0.05 → 2, 0.5 → 1, 5 → 0).
    static func fixed(_ v: Double, step: Double) -> String {
        let decimals = max(0, -Int((log10(step) + 1e-9).rounded(.down)))
        return String(format: "%.\(decimals)f", v)
    }
}
