import ArgumentParser
import Foundation
import RadPipeline

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write a self-contained HTML report (loss curves, teacher vs student table) for a run folder.")

    @Argument(help: "A run folder (runs/NAME/RUN-ID), or runs/NAME for its latest run.") var runFolder: String

    func run() throws {
        try reportingErrors {
            do {
                // `runs/NAME` means its latest run; a run's own folder is itself.
                let folder = URL(fileURLWithPath: runFolder)
                let out = try HTMLReport.write(runDirectory: RunRecord.runFolder(folder) ?? folder)
                print(out.path)
            } catch let error as HTMLReport.Failure {
                throw DataError(error.description)
            } catch {
                throw ReportWriteError(folder: runFolder, underlying: error)
            }
        }
    }
}

/// The report could not be written into an existing run folder (a failed run: exit code 1).
struct ReportWriteError: Error, CustomStringConvertible {
    var folder: String
    var underlying: Error
    var description: String {
        let reason = (underlying as NSError).localizedFailureReason ?? (underlying as NSError).localizedDescription
        return "cannot write \((folder as NSString).appendingPathComponent("report.html")): \(reason)"
    }
}
