import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// SIGINT and SIGTERM as a request to stop at the next safe point: a training stage checkpoints and
/// stops after its current optimizer step, other steps stop where they check. A second signal of the
/// same kind stops the process at once (the default action), for a user who will not wait.
public enum Interruption {
    /// The signal received, 0 while none. Touched by the handler, so it is a plain global atomic.
    private static let received = Atomic<Int32>(0)
    private static let notice: [UInt8] = Array("\nrad: stopping at the next safe point (a checkpoint is kept); press Ctrl-C again to stop now\n".utf8)

    /// Installs the handlers (once, at the start of a verb that runs steps).
    public static func install() {
        _ = received.load(ordering: .relaxed)
        _ = notice.count
        // A parent may have started rad with these signals blocked (the mask is inherited).
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for sig in [SIGINT, SIGTERM] { sigaddset(&unblock, sig) }
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
        for sig in [SIGINT, SIGTERM] {
            signal(sig) { sig in
                let (exchanged, _) = Interruption.received.compareExchange(expected: 0, desired: sig, ordering: .relaxed)
                if exchanged {
                    // Only async-signal-safe calls here: write(2), signal(2).
                    Interruption.notice.withUnsafeBufferPointer { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
                } else {
                    signal(sig, SIG_DFL)
                    raise(sig)
                }
            }
        }
    }

    /// The signal that asked the process to stop, if any.
    public static var requested: Int32? {
        let s = received.load(ordering: .relaxed)
        return s == 0 ? nil : s
    }

    /// Throws `Interrupted` when a stop was asked for: call at the safe points of long loops.
    public static func check() throws {
        if let s = requested { throw Interrupted(signal: s) }
    }

}

/// A step stopped because the user asked (Ctrl-C, SIGTERM); not a failure. `kept` says what it saved.
public struct Interrupted: Error, CustomStringConvertible {
    public var signal: Int32
    public var kept: String?
    public init(signal: Int32, kept: String? = nil) { self.signal = signal; self.kept = kept }
    /// 130 for SIGINT, 143 for SIGTERM: the shell's 128 + signal.
    public var exitCode: Int32 { 128 + signal }
    public var signalName: String { signal == SIGINT ? "SIGINT" : signal == SIGTERM ? "SIGTERM" : "signal \(signal)" }
    public var description: String { "interrupted (\(signalName))" + (kept.map { "; \($0)" } ?? "") }
}
