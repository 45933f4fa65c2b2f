/// A failure whose `error:` line has already been printed (a metrics.jsonl write that failed in the middle
/// of a run, say): the command exits 1 and prints nothing more, so that each failure is one line.
public struct ReportedFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
