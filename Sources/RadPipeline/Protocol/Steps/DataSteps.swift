import Foundation
import RadModelZoo

/// Token streams as artifacts: ids are stored as fp32 tensors, exact for any vocabulary below 2^24.
enum TokenStream {
    static func tensor(_ ids: ArraySlice<Int32>) -> Tensor {
        let t = Tensor(zeros: [ids.count])
        for (i, id) in ids.enumerated() { t.data[i] = Float(id) }
        return t
    }

    static func ids(_ t: Tensor) -> [Int32] { (0..<t.count).map { Int32(t.data[$0]) } }

    /// The training stream and the held-out stream of a `tokenize` artifact.
    static func load(_ artifact: Artifact) throws -> (train: [Int32], heldout: [Int32]) {
        let tensors = try artifact.tensors()
        guard let train = tensors["tokens"] else { throw StepFailure("cached token stream \(artifact.key.prefix(12)) is incomplete") }
        return (ids(train), tensors["heldout"].map(ids) ?? [])
    }
}

/// `tokenize`: reads a `data:` entry, tokenises and packs it (EOS between documents), and splits off the
/// held-out fraction at the end of the stream.
struct TokenizeExecutor: StepExecutor {
    func execute(_ context: StepContext) throws -> StepOutput {
        let name = String(context.node.id.dropFirst("data.".count))
        guard let source = context.manifest.dataSource(named: name) else { throw StepFailure("no data entry '\(name)'") }
        let sources: [DocumentSource]
        switch source.kind {
        case .files: sources = [.textFiles(source.paths)]
        case .jsonl: sources = [.jsonl(source.paths, field: source.field ?? "text")]
        case .binidx: sources = [.binidx(prefix: source.paths[0])]
        }
        var encode: (String) -> [Int32] = { _ in [] }
        var eos: Int32? = nil
        if source.needsTokenizer {
            let tokenizer = try context.tokenizerModel()
            encode = { tokenizer.encode($0, parseSpecial: false, addBos: false) }
            eos = source.eosBetweenDocuments ? tokenizer.eosId : nil
        }
        let started = Date()
        let stream = try TokenPacker.pack(sources, base: "/", eos: eos, encode: encode) { done, total in
            context.report(tokens: Int64(done), of: Int64(total), loss: nil)
        }
        let split = Int(Double(stream.count) * (1 - source.heldoutFraction))
        let meta = CanonicalValue.object([
            "tokens": .int(Int64(split)), "heldout_tokens": .int(Int64(stream.count - split)),
            "seconds": .double(Date().timeIntervalSince(started))])
        return StepOutput(tensors: ["tokens": TokenStream.tensor(stream[..<split]),
                                    "heldout": TokenStream.tensor(stream[split...])], meta: meta)
    }
}

/// `init_student`: the RADLADS weight transfer (spec §1.1), or an existing student folder.
struct InitStudentExecutor: StepExecutor {
    func execute(_ context: StepContext) throws -> StepOutput {
        guard let s = context.manifest.student else { throw StepFailure("the manifest has no student") }
        if let checkpoint = s.checkpoint {
            let model = try ModelLoader.load(checkpoint, loadTokenizer: false).model
            return try ModelArtifact.output(model, workDirectory: context.workDirectory,
                                            meta: .object(["source": .string(checkpoint)]))
        }
        var options: [String: OptionValue] = [:]
        var softmaxLayers = 0
        for (k, v) in s.options {
            if k == "softmax_layers" { softmaxLayers = Int(v.intValue ?? 0); continue }
            switch v {
            case .bool(let b): options[k] = .bool(b)
            case .string(let str): options[k] = .string(str)
            default: if let i = v.intValue { options[k] = .int(Int(i)) }
            }
        }
        let architecture = try StudentArchitectures.make(s.architecture, options: options)
        let teacher = try context.teacherModel()
        let student = try StudentBuilder.convert(teacher: teacher, student: StudentDescriptor(
            architecture: architecture, softmaxLayers: softmaxLayers), seed: UInt64(bitPattern: context.seed))
        return try ModelArtifact.output(student, workDirectory: context.workDirectory, meta: .object([
            "architecture": .string(s.architecture), "parameters": .int(Int64(student.parameterCount))]))
    }
}
