/// Versions that enter every cache key and run record. Bump `numericsVersion` whenever a change in the
/// engine alters the numbers a step produces (a kernel's summation order, an init formula): every cached
/// artifact made by the old numerics is then recomputed instead of silently reused.
public enum RadVersion {
    public static let engine = "0.1.0"
    /// 2: stages 2 and 3 compute the output head and loss fused over blocks of rows (`fusedHeadLoss`),
    /// which sums the same products in another order than whole-logits GEMMs (equal within fp32 rounding).
    /// 3: blocked causal attention (online softmax, another summation order), the fused RAD-RWKV7 mixer
    /// ops, and scoring's log-sum-exp in the training loss's fp32 exponentials (all within fp32 rounding).
    /// 4: `grad_clip: 0` means no clipping (it multiplied every gradient by 0), so no entry a stage with
    /// it made before is reused.
    public static let numericsVersion = 4
}
