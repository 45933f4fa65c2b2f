/// The even split of `count` items into `parts` contiguous runs, in order: every part gets
/// `count / parts` items and the first `count % parts` parts one more. What data-parallel training splits
/// this way: a step's batch among the ranks (`BatchShare`) and every bucket of the flattened parameters
/// among the ranks that keep their optimizer state (`ParameterShard`).
public enum EvenSplit {
    /// Part `part`'s items (empty when there are more parts than items).
    public static func range(count: Int, part: Int, parts: Int) -> Range<Int> {
        precondition(count >= 0 && parts > 0 && (0..<parts).contains(part))
        let base = count / parts, extra = count % parts
        let start = part * base + min(part, extra)
        return start..<(start + base + (part < extra ? 1 : 0))
    }

    /// Every part's item count, in order.
    public static func counts(count: Int, parts: Int) -> [Int] {
        (0..<parts).map { range(count: count, part: $0, parts: parts).count }
    }
}
