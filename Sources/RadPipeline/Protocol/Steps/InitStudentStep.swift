import Foundation
import RadModelZoo

/// `init_student`: the RADLADS weight transfer (spec §1.1), or an existing student folder.
struct InitStudentExecutor: StepExecutor {
    func execute(_ context: StepContext) throws -> StepOutput {
        guard let s = context.manifest.student else { throw StepFailure("the manifest has no student") }
        if let checkpoint = s.checkpoint {
            let model = try ModelLoader.load(checkpoint, loadTokenizer: false).model
            return try ModelArtifact.output(model, workDirectory: context.workDirectory,
                                            meta: .object(["source": .string(checkpoint)]))
        }
        let teacher = try context.teacherModel()
        let student = try StudentBuilder.convert(teacher: teacher, student: s.descriptor, seed: UInt64(bitPattern: context.seed))
        return try ModelArtifact.output(student, workDirectory: context.workDirectory, meta: .object([
            "architecture": .string(s.architecture), "parameters": .int(Int64(student.parameterCount))]))
    }
}

extension InitStudentExecutor: NodeKind {
    static let name = "init_student"

    /// The node of the manifest's student: the architecture and its options enter the key, and the
    /// teacher is an input unless the student starts from a checkpoint folder.
    static func node(_ student: Manifest.Student, teacher: () -> String) -> StepGraph.Node {
        var settings: [String: CanonicalValue] = ["architecture": .string(student.architecture), "options": .object(student.options)]
        var inputs: [(String, String)] = []
        if let c = student.checkpoint { settings["checkpoint"] = .string(c) } else { inputs.append(("teacher", teacher())) }
        return StepGraph.Node(id: "student.init", kind: name, inputs: inputs, settings: settings, isSource: false)
    }

    /// A checkpoint folder enters the key by its content.
    static func keySettings(_ settings: [String: CanonicalValue], fingerprinter: Fingerprinter) -> [String: CanonicalValue] {
        var s = settings
        if let c = s["checkpoint"]?.stringValue { s["checkpoint"] = .string(fingerprinter.fingerprint(path: c)) }
        return s
    }
}
