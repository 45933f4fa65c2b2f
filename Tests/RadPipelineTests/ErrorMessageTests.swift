import Foundation
import Testing
import RadPipeline

/// Foundation's file errors become "<path>: <cause>" lines, never an NSError dump.
@Suite struct ErrorMessageTests {
    /// /dev/full fails every write with ENOSPC, as a full disk does.
    @Test func diskFullNamesTheFileAndTheCause() throws {
        do { try Data("x".utf8).write(to: URL(fileURLWithPath: "/dev/full")); Issue.record("wrote to /dev/full") }
        catch {
            #expect(ErrorMessage.oneLine(error) == "/dev/full: No space left on device")
        }
    }

    @Test func folderUnderAFileNamesTheFolder() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("rad-errmsg-\(UUID().uuidString)")
        try Data().write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        do { try FileManager.default.createDirectory(at: file.appendingPathComponent("runs/x"), withIntermediateDirectories: true) }
        catch {
            let line = ErrorMessage.oneLine(error)
            #expect(line.hasPrefix(file.path) && line.hasSuffix(": Not a directory"), "\(line)")
        }
    }

    /// A copy's NSError names its source; the failure is the destination's.
    @Test func failedCopyNamesTheDestination() throws {
        let source = FileManager.default.temporaryDirectory.appendingPathComponent("rad-errmsg-\(UUID().uuidString)")
        try Data("x".utf8).write(to: source)
        defer { try? FileManager.default.removeItem(at: source) }
        do { try FileManager.default.copyItem(atPath: source.path, toPath: "/nonexistent-rad-folder/model.safetensors") }
        catch {
            #expect(ErrorMessage.oneLine(error) == "/nonexistent-rad-folder/model.safetensors: No such file or directory")
        }
    }

    @Test func radErrorsKeepTheirDescription() {
        #expect(ErrorMessage.oneLine(StepFailure("step 'x' failed")) == "step 'x' failed")
        #expect(ErrorMessage.oneLine(FileFailure(path: "out/m", cause: "No space left on device")) == "out/m: No space left on device")
    }
}
