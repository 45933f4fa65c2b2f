import Foundation

/// The RADLADS learning-rate schedule (spec §1.6, src/trainer.py), a pure function of the step:
///
///     tokens = step · tokensPerStep;  warm = warmupSteps · tokensPerStep
///     p = clamp((tokens − warm) / (E − warm), 0, 1);  q = clamp((p − wait) / (endpoint − wait), 0, 1)
///     cos:    final + (init − final) · cos(π/2 · q)        (a quarter cosine)
///     linear: final + (init − final) · (1 − q)
///     exp:    init · exp(ln(final / init) · q)
///     constant: init
///     if step < warmupSteps: lr *= 0.01 + 0.99 · step / warmupSteps
public struct LRSchedule: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable, CaseIterable { case cos, linear, exp, constant }

    public var kind: Kind
    public var initLR: Double
    public var finalLR: Double
    public var warmupSteps: Int
    /// E: total training tokens (`my_exit_tokens`).
    public var totalTokens: Int
    /// Tokens per optimizer step (global batch × ctx).
    public var tokensPerStep: Int
    /// Fraction of progress before the decay starts (`lr_wait`, default 0).
    public var wait: Double
    /// Fraction of progress where the decay ends (`lr_endpoint`, default 1).
    public var endpoint: Double

    public init(kind: Kind, initLR: Double, finalLR: Double, warmupSteps: Int, totalTokens: Int, tokensPerStep: Int,
                wait: Double = 0, endpoint: Double = 1) {
        self.kind = kind; self.initLR = initLR; self.finalLR = finalLR; self.warmupSteps = warmupSteps
        self.totalTokens = totalTokens; self.tokensPerStep = tokensPerStep; self.wait = wait; self.endpoint = endpoint
    }

    /// Learning rate at optimizer step `step` (0-based: the LR used for the first update is `lr(step: 0)`).
    public func lr(step: Int) -> Double {
        let tokens = Double(step) * Double(tokensPerStep)
        let warm = Double(warmupSteps) * Double(tokensPerStep)
        let span = Double(totalTokens) - warm
        let p = span > 0 ? min(max((tokens - warm) / span, 0), 1) : 1
        let window = endpoint - wait
        let q = window > 0 ? min(max((p - wait) / window, 0), 1) : (p >= endpoint ? 1 : 0)
        var lr: Double
        switch kind {
        case .cos: lr = finalLR + (initLR - finalLR) * Foundation.cos(Double.pi / 2 * q)
        case .linear: lr = finalLR + (initLR - finalLR) * (1 - q)
        case .exp: lr = initLR * Foundation.exp(Foundation.log(finalLR / initLR) * q)
        case .constant: lr = initLR
        }
        if step < warmupSteps { lr *= 0.01 + 0.99 * Double(step) / Double(warmupSteps) }
        return lr
    }

    /// Step at which training ends (first step with tokens ≥ E).
    public var totalSteps: Int { tokensPerStep > 0 ? (totalTokens + tokensPerStep - 1) / tokensPerStep : 0 }
}
