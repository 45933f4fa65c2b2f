import Foundation

/// The process's resident memory as Linux reports it in /proc (nil on other systems).
public enum ProcessMemory {
    /// Peak resident set size ("VmHWM") since the process started or since the last `resetPeak()`.
    public static func peakResidentBytes() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              // "VmHWM:\t  123456 kB": the tab and padding spaces vary with the number's width.
              let kB = Int(line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first ?? "") else { return nil }
        return kB * 1024
    }

    /// Starts a new peak measurement from the current resident size (writing 5 to clear_refs, Linux ≥ 4.0).
    public static func resetPeak() {
        guard let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") else { return }
        defer { try? handle.close() }
        try? handle.write(contentsOf: Data("5".utf8))
    }
}
