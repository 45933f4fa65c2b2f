import RadOps
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

    /// Ids sent between ranks as their bytes (`withUnsafeBytes` of an `[Int32]`).
    static func ids(bytes: [UInt8]) -> [Int32] {
        [Int32](unsafeUninitializedCapacity: bytes.count / 4) { ids, count in
            bytes.withUnsafeBytes { raw in
                for i in 0..<bytes.count / 4 { ids[i] = raw.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self) }
            }
            count = bytes.count / 4
        }
    }

    /// The token stream of a `tokenize` artifact.
    static func load(_ artifact: Artifact) throws -> [Int32] {
        guard let tokens = try artifact.tensors()["tokens"] else {
            throw StepFailure("cached token stream \(artifact.key.prefix(12)) is incomplete")
        }
        return ids(tokens)
    }
}

/// `tokenize`: reads a `data:` entry, tokenises and packs it (EOS between documents). With
/// `heldout_fraction` f, every round(1/f)-th document forms the held-out part and `part` chooses which
/// side this entry reads; binidx streams (no document boundaries kept) split at the end instead.
struct TokenizeStep: NodeKind {
    static let name = "tokenize"
    /// Under mpirun every rank encodes its share of the documents (a binidx stream is read by rank 0).
    static let sharedByRanks = true

    /// The node of data entry `source`: its settings (the entry's record, its kind and paths) enter the
    /// key, and text needs the tokenizer as an input.
    static func node(_ source: Manifest.DataSource, tokenizer: () -> String) -> StepGraph.Node {
        var settings = source.settings
        settings["kind"] = .string(source.kind.rawValue)
        settings[source.kind.rawValue] = .array(source.paths.map { .string($0) })
        return StepGraph.Node(id: "data.\(source.name)", kind: name, inputs: source.needsTokenizer ? [("tokenizer", tokenizer())] : [],
                              settings: settings, isSource: false)
    }

    /// Globs become the names and fingerprints of the files they match; a binidx prefix, its two files' fingerprints.
    static func keySettings(_ settings: [String: CanonicalValue], fingerprinter: Fingerprinter) -> [String: CanonicalValue] {
        var s = settings
        for k in ["files", "jsonl"] {
            guard let globs = s[k]?.arrayValue?.compactMap(\.stringValue) else { continue }
            s[k] = .array(globs.flatMap { g -> [CanonicalValue] in
                let files = Fingerprinter.expand(glob: g)
                if files.isEmpty { return [.object(["glob": .string(URL(fileURLWithPath: g).lastPathComponent), "matched": .int(0)])] }
                return files.map { .object(["name": .string(URL(fileURLWithPath: $0).lastPathComponent),
                                            "content": .string(fingerprinter.fingerprint(path: $0))]) }
            })
        }
        if let prefix = s["binidx"]?.arrayValue?.first?.stringValue {
            s["binidx"] = .object(["bin": .string(fingerprinter.fingerprint(path: prefix + ".bin")),
                                   "idx": .string(fingerprinter.fingerprint(path: prefix + ".idx"))])
        }
        return s
    }

    /// The validator fills `field` (default `text`) for every JSONL entry.
    func jsonlField(_ source: Manifest.DataSource) throws -> String {
        guard let field = source.field else { throw StepFailure("data entry '\(source.name)' has no 'field' after validation (a bug)") }
        return field
    }

    /// Bad input: the documents hold no text to train on.
    static func noTokens(_ name: String) -> Error { DataError("data entry '\(name)' produced no tokens: its documents are empty") }

    func execute(_ context: StepContext) throws -> StepOutput {
        let name = String(context.node.id.dropFirst("data.".count))
        guard let source = context.manifest.dataSource(named: name) else { throw StepFailure("no data entry '\(name)'") }
        let started = Date()
        let every = source.heldoutFraction > 0 ? max(2, Int((1 / source.heldoutFraction).rounded())) : 0
        func keep(_ index: Int) -> Bool {
            guard every > 0 else { return true }
            let heldout = index % every == every - 1
            switch source.part { case "train": return !heldout; case "heldout": return heldout; default: return true }
        }
        var stream: [Int32] = []
        var documents = 0
        // Under mpirun every rank encodes an even, contiguous share of the documents and rank 0 joins
        // the shares in rank order: the stream of one process, token for token. What a rank reads alone
        // (the stream, the tokenizer, the list of documents, each document) is agreed on before the ranks
        // go on together, so that an input one rank cannot read stops every rank with one message.
        let share: WorkShare = MPIWorld.current.map { RankWork(world: $0) } ?? WholeWork()
        if source.kind == .binidx {
            let all = try share.agreeing { try BinIdxDataset(prefix: source.paths[0]).tokens }
            let split = every > 0 ? all.count - all.count / every : all.count
            switch source.part { case "train": stream = Array(all[..<split]); case "heldout": stream = Array(all[split...]); default: stream = all }
            try share.agreeing { if stream.isEmpty { throw Self.noTokens(name) } }
        } else {
            let (tokenizer, docs) = try share.agreeing {
                (try context.tokenizerModel(),
                 try TokenPacker.documentList(source.kind == .files ? [.textFiles(source.paths)]
                                              : [.jsonl(source.paths, field: try jsonlField(source))], base: "/"))
            }
            let eos = source.eosBetweenDocuments ? tokenizer.eosId : nil
            let kept = docs.indices.filter(keep)
            documents = kept.count
            // Ctrl-C: nothing to keep mid-way; every rank stops between documents, together.
            let mine = share.units(of: kept.count)
            try share.forEachUnit(of: kept.count) { n in
                stream += tokenizer.encode(try docs[kept[n]].text(), parseSpecial: false, addBos: false)
                if let eos { stream.append(eos) }
                context.report(tokens: Int64(n - mine.lowerBound + 1), of: Int64(mine.count), loss: nil, unit: "doc")
            }
            if let world = MPIWorld.current {
                // Documents that all encode to nothing fail on every rank alike (below, for one process).
                var total = [Double(stream.count)]
                try share.combine(&total)
                try share.agreeing { if total[0] == 0 { throw Self.noTokens(name) } }
                let shares = try world.gather(stream.withUnsafeBytes { Array($0) })
                guard context.role == .leader else { return StepOutput(tensors: [:], meta: .object([:])) }
                stream = shares.flatMap(TokenStream.ids(bytes:))
            }
        }
        guard !stream.isEmpty else { throw Self.noTokens(name) }
        let meta = CanonicalValue.object(["tokens": .int(Int64(stream.count)), "documents": .int(Int64(documents)),
                                          "seconds": .double(Date().timeIntervalSince(started))])
        return StepOutput(tensors: ["tokens": TokenStream.tensor(stream[...])], meta: meta)
    }
}
