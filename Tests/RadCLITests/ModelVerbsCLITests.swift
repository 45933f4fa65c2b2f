import Foundation
import Testing

/// `rad score`, `generate` and `eval` run as a user runs them: on the real SmolLM2 teacher (GGUF), on an
/// HF student folder, and on bad input. Invalid input exits 2 with one `error:` line naming the problem
/// and writes nothing; a failed run exits 1. The model-loading cases take about a second each in release.
@Suite struct ModelVerbsCLITests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let gguf = repo.appendingPathComponent("assets/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf").path
    static let student = repo.appendingPathComponent("Tests/RadModelZooTests/Fixtures/students/rwkv7_balanced").path

    static func temp() throws -> URL {
        let u = FileManager.default.temporaryDirectory.appendingPathComponent("rad-verbs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
        return u
    }

    /// Whether the teacher asset is there (recorded as an issue when it is not: `make test` fetches it).
    static func haveTeacher() -> Bool {
        guard FileManager.default.fileExists(atPath: gguf) else {
            Issue.record("missing asset \(gguf): run `scripts/fetch-assets.sh teacher`")
            return false
        }
        return true
    }

    static func json(_ s: String) throws -> [String: Any] {
        let v = try JSONSerialization.jsonObject(with: Data(s.utf8))
        return try #require(v as? [String: Any], "not a JSON object: \(s)")
    }

    /// Exit 2, exactly one line on stderr, starting `error: ` and containing every `needle`; nothing on stdout.
    static func expectInvalidInput(_ r: RadProcess.Result, naming needles: [String],
                                   sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(r.status == 2, "exit \(r.status): \(r.stderr)", sourceLocation: sourceLocation)
        let lines = r.stderr.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.isEmpty }
        #expect(lines.count == 1 && lines[0].hasPrefix("error: "), "stderr: \(r.stderr)", sourceLocation: sourceLocation)
        for n in needles { #expect(r.stderr.contains(n), "'\(n)' not in: \(r.stderr)", sourceLocation: sourceLocation) }
        #expect(r.stdout.isEmpty, "stdout: \(r.stdout)", sourceLocation: sourceLocation)
        #expect(!r.stderr.contains("Fatal error") && !r.stderr.contains("Stack dump"), sourceLocation: sourceLocation)
    }

    // MARK: the teacher

    @Test func scoreJsonAndPlain() throws {
        guard Self.haveTeacher() else { return }
        let dir = try Self.temp(); defer { try? FileManager.default.removeItem(at: dir) }
        let text = dir.appendingPathComponent("t.txt")
        try Data("The capital of France is Paris. It is known for the Eiffel Tower and its museums.\n".utf8).write(to: text)
        let j = try RadProcess.run(["score", "--model", Self.gguf, "--text", text.path, "--json"])
        #expect(j.status == 0, "\(j.stderr)")
        #expect(j.stdout.split(separator: "\n").count == 1)
        let o = try Self.json(j.stdout)
        let tokens = try #require(o["tokens"] as? Int), nll = try #require(o["nll"] as? Double), ppl = try #require(o["ppl"] as? Double)
        // One window: every token but the first is predicted.
        #expect(tokens >= 15 && tokens <= 25)
        #expect(nll > 0.5 && nll < 6, "nll \(nll)")
        #expect(abs(ppl - exp(nll)) < 1e-6 * ppl)
        #expect(o["seq_len"] as? Int == 512)
        let p = try RadProcess.run(["score", "--model", Self.gguf, "--text", text.path])
        #expect(p.status == 0, "\(p.stderr)")
        #expect(p.stdout == String(format: "tokens %d  nll %.6f nats/token  ppl %.4f\n", tokens, nll, ppl), "\(p.stdout)")
    }

    @Test func generateGreedyMatchesTransformers() throws {
        guard Self.haveTeacher() else { return }
        // The reference continuation from transformers (Fixtures/smollm2_reference.json greedy_text) starts " Paris.\n\n".
        let r = try RadProcess.run(["generate", "--model", Self.gguf, "--prompt", "The capital of France is", "--max-tokens", "4"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == " Paris.\n\n\n", "\(r.stdout.debugDescription)")
        #expect(r.stderr.isEmpty)
    }

    @Test func evalLambadaAndPiqaJson() throws {
        guard Self.haveTeacher() else { return }
        guard FileManager.default.fileExists(atPath: Self.repo.appendingPathComponent("assets/benchmarks/piqa.jsonl").path) else {
            Issue.record("missing assets/benchmarks: run `scripts/fetch-assets.sh benchmarks`")
            return
        }
        let l = try RadProcess.run(["eval", "--model", Self.gguf, "--task", "lambada", "--limit", "3", "--json"], cwd: Self.repo)
        #expect(l.status == 0, "\(l.stderr)")
        let lo = try Self.json(l.stdout)
        #expect(lo["task"] as? String == "lambada" && lo["docs"] as? Int == 3)
        for key in ["acc", "acc_per_char", "greedy_acc", "ppl"] { #expect(lo[key] is Double, "\(key) in \(l.stdout)") }
        let g = try #require(lo["greedy_acc"] as? Double)
        #expect([0, 1.0 / 3, 2.0 / 3, 1].contains { abs($0 - g) < 1e-9 })
        #expect((lo["ppl"] as? Double ?? 0) > 1)

        let p = try RadProcess.run(["eval", "--model", Self.gguf, "--task", "piqa", "--limit", "2", "--json"], cwd: Self.repo)
        #expect(p.status == 0, "\(p.stderr)")
        let po = try Self.json(p.stdout)
        #expect(po["task"] as? String == "piqa" && po["docs"] as? Int == 2)
        let acc = try #require(po["acc"] as? Double)
        #expect([0, 0.5, 1].contains(acc))
        #expect(po["greedy_acc"] == nil)   // only lambada has a greedy answer

        // The plain table: columns line up under the header (text columns are padded by hand: Linux's
        // String(format:) ignores the width of %@).
        let t = try RadProcess.run(["eval", "--model", Self.gguf, "--task", "lambada", "piqa", "--limit", "1"], cwd: Self.repo)
        #expect(t.status == 0, "\(t.stderr)")
        let lines = t.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 3 && lines[0].hasPrefix("task            docs  acc ± stderr     acc/char ± stderr  paper metric"), "\(t.stdout)")
        #expect(lines.dropFirst().map { String($0.prefix(20)) } == ["lambada            1", "piqa               1"], "\(t.stdout)")
    }

    // MARK: an HF student folder

    @Test func studentFolderWithoutTokenizerIsInvalidInput() throws {
        let dir = try Self.temp(); defer { try? FileManager.default.removeItem(at: dir) }
        let text = dir.appendingPathComponent("t.txt")
        try Data("hello".utf8).write(to: text)
        let s = try RadProcess.run(["score", "--model", Self.student, "--text", text.path])
        Self.expectInvalidInput(s, naming: [Self.student, "has no tokenizer"])
        let g = try RadProcess.run(["generate", "--model", Self.student, "--prompt", "hi"])
        Self.expectInvalidInput(g, naming: [Self.student, "has no tokenizer"])
        let e = try RadProcess.run(["eval", "--model", Self.student, "--task", "piqa", "--limit", "1"], cwd: Self.repo)
        Self.expectInvalidInput(e, naming: [Self.student, "has no tokenizer"])
    }

    @Test func studentFolderWithATokenizerScoresAndGenerates() throws {
        // The fixture student (vocab 89) with a byte-level tokenizer whose ids all lie below 89.
        let dir = try Self.temp(); defer { try? FileManager.default.removeItem(at: dir) }
        let folder = dir.appendingPathComponent("student")
        try FileManager.default.copyItem(atPath: Self.student, toPath: folder.path)
        try Data(Self.tinyTokenizerJSON.utf8).write(to: folder.appendingPathComponent("tokenizer.json"))
        let text = dir.appendingPathComponent("t.txt")
        try Data("abc abc cab bad".utf8).write(to: text)
        let s = try RadProcess.run(["score", "--model", folder.path, "--text", text.path, "--json"])
        #expect(s.status == 0, "\(s.stderr)")
        let o = try Self.json(s.stdout)
        let nll = try #require(o["nll"] as? Double)
        // A random tiny model: close to uniform over its 89 entries, never NaN.
        #expect(nll.isFinite && nll > 1 && nll < 10, "nll \(nll)")
        #expect(o["tokens"] as? Int ?? 0 >= 4)
        let g = try RadProcess.run(["generate", "--model", folder.path, "--prompt", "ab", "--max-tokens", "3"])
        #expect(g.status == 0, "\(g.stderr)")
        #expect(g.stdout.hasSuffix("\n") && !g.stdout.isEmpty)

        // A tokenizer with ids past the model's 89 entries would read past the embedding table.
        try Data(Self.tinyTokenizerJSON.replacingOccurrences(of: "\"abc\":6", with: "\"abc\":200").utf8)
            .write(to: folder.appendingPathComponent("tokenizer.json"))
        Self.expectInvalidInput(try RadProcess.run(["score", "--model", folder.path, "--text", text.path]),
                                naming: [folder.path, "the tokenizer has 201 tokens but the model's vocabulary only 89"])
    }

    /// A minimal byte-level BPE tokenizer.json: "a", "b", "c", "d", "Ġ" (space) and merges "a b", "ab c".
    static let tinyTokenizerJSON = """
    {"version":"1.0","added_tokens":[],"normalizer":null,
     "pre_tokenizer":{"type":"ByteLevel","add_prefix_space":false,"trim_offsets":true,"use_regex":true},
     "decoder":{"type":"ByteLevel","add_prefix_space":true,"trim_offsets":true,"use_regex":true},
     "model":{"type":"BPE","dropout":null,"unk_token":null,"continuing_subword_prefix":null,"end_of_word_suffix":null,
              "fuse_unk":false,"byte_fallback":false,
              "vocab":{"a":0,"b":1,"c":2,"d":3,"Ġ":4,"ab":5,"abc":6},
              "merges":["a b","ab c"]}}
    """

    // MARK: bad input

    @Test func badModelPathsAreInvalidInput() throws {
        let dir = try Self.temp(); defer { try? FileManager.default.removeItem(at: dir) }
        let text = dir.appendingPathComponent("t.txt")
        try Data("hello".utf8).write(to: text)
        let missing = dir.appendingPathComponent("missing.gguf").path
        let notGGUF = dir.appendingPathComponent("weights.bin")
        try Data("this is not a model file at all".utf8).write(to: notGGUF)
        let truncated = dir.appendingPathComponent("truncated.gguf")
        try Data("GGUF\u{3}\0\0\0\u{5}".utf8).write(to: truncated)
        for model in [missing, notGGUF.path, truncated.path] {
            let s = try RadProcess.run(["score", "--model", model, "--text", text.path])
            Self.expectInvalidInput(s, naming: [model])
            let g = try RadProcess.run(["generate", "--model", model, "--prompt", "hi"])
            Self.expectInvalidInput(g, naming: [model])
            let e = try RadProcess.run(["eval", "--model", model, "--task", "piqa"], cwd: Self.repo)
            Self.expectInvalidInput(e, naming: [model])
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["t.txt", "truncated.gguf", "weights.bin"])
    }

    @Test func badOptionsAreInvalidInput() throws {
        let dir = try Self.temp(); defer { try? FileManager.default.removeItem(at: dir) }
        let text = dir.appendingPathComponent("t.txt")
        try Data("hello".utf8).write(to: text)
        // Options are checked before the model is opened, so a missing model does not mask them.
        let m = dir.appendingPathComponent("never-opened.gguf").path
        let cases: [([String], [String])] = [
            (["eval", "--model", m, "--task", "lambda"], ["unknown task 'lambda'", "lambada"]),
            (["eval", "--model", m, "--task", "piqa", "--limit", "0"], ["--limit must be at least 1"]),
            (["score", "--model", m, "--text", text.path, "--seq-len", "1"], ["--seq-len must be at least 2"]),
            (["score", "--model", m, "--text", text.path, "--seq-len", "many"], ["'many'", "--seq-len"]),
            (["score", "--model", m, "--text", text.path, "--batch", "0"], ["--batch must be at least 1"]),
            (["generate", "--model", m, "--prompt", "x", "--max-tokens", "0"], ["--max-tokens must be at least 1"]),
            (["generate", "--model", m, "--prompt", "x", "--top-p", "0"], ["--top-p"]),
            (["score", "--model", m], ["--text"]),
        ]
        for (args, needles) in cases {
            let r = try RadProcess.run(args, cwd: dir)
            Self.expectInvalidInput(r, naming: needles)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["t.txt"])
    }

    @Test func missingOrEmptyTextAndMissingBenchmarksAreInvalidInput() throws {
        guard Self.haveTeacher() else { return }
        let dir = try Self.temp(); defer { try? FileManager.default.removeItem(at: dir) }
        let missing = dir.appendingPathComponent("missing.txt").path
        Self.expectInvalidInput(try RadProcess.run(["score", "--model", Self.gguf, "--text", missing]), naming: [missing])
        // Too short to predict anything: one token or none.
        let empty = dir.appendingPathComponent("empty.txt")
        try Data().write(to: empty)
        Self.expectInvalidInput(try RadProcess.run(["score", "--model", Self.gguf, "--text", empty.path, "--json"]),
                                naming: [empty.path, "fewer than 2 tokens"])
        let bench = dir.appendingPathComponent("no-benchmarks").path
        Self.expectInvalidInput(try RadProcess.run(["eval", "--model", Self.gguf, "--task", "piqa", "--benchmarks", bench]),
                                naming: [bench, "fetch-assets.sh benchmarks"])
        let bad = dir.appendingPathComponent("b")
        try FileManager.default.createDirectory(at: bad, withIntermediateDirectories: true)
        try Data("{\"doc_id\": 0}\n".utf8).write(to: bad.appendingPathComponent("piqa.jsonl"))
        Self.expectInvalidInput(try RadProcess.run(["eval", "--model", Self.gguf, "--task", "piqa", "--benchmarks", bad.path]),
                                naming: ["piqa.jsonl:1", "not a log-likelihood request"])
    }
}
