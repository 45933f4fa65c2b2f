/// Byte spans of the tensors of one file. Two tensors whose bytes overlap would alias each other's
/// data: no writer produces that, so a file that claims it is damaged or hostile, and both readers
/// (safetensors, GGUF) refuse it naming both tensors.
public enum TensorSpans {
    public typealias Span = (name: String, range: Range<Int>)

    /// Throws naming `file` and both tensors when two spans overlap. Offsets in the message are the
    /// ones the file states: `base` (where its data section starts) is subtracted.
    public static func requireDisjoint(_ spans: [Span], file: String, base: Int = 0) throws {
        guard let (a, b) = firstOverlap(spans) else { return }
        func bytes(_ r: Range<Int>) -> String { "[\(r.lowerBound - base), \(r.upperBound - base))" }
        throw TensorFileError(file: file, tensor: a.name,
                              "its bytes \(bytes(a.range)) overlap those of tensor '\(b.name)' \(bytes(b.range)): the file is damaged")
    }

    /// The first pair of overlapping spans in file order, nil when none overlap. Empty ranges hold
    /// no bytes and overlap nothing.
    public static func firstOverlap(_ spans: [Span]) -> (Span, Span)? {
        let sorted = spans.filter { !$0.range.isEmpty }
            .sorted { ($0.range.lowerBound, $0.name) < ($1.range.lowerBound, $1.name) }
        // The span reaching furthest so far: a later span starting before its end overlaps it, even
        // when the spans in between (nested inside it) do not.
        guard var reach = sorted.first else { return nil }
        for span in sorted.dropFirst() {
            if span.range.lowerBound < reach.range.upperBound { return (reach, span) }
            if span.range.upperBound > reach.range.upperBound { reach = span }
        }
        return nil
    }
}
