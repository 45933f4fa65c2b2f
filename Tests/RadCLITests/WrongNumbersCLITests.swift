import RadModelZoo
import RadOps
import Foundation
import Testing
import RadPipeline

/// Numbers rad must not report: a model with NaN weights scores as a failed run (exit 1) naming the
/// model, never `nll nan` and never Foundation's raw JSON error; texts that are not UTF-8 and model
/// files whose tensors overlap are invalid input (exit 2) naming the file.
@Suite struct WrongNumbersCLITests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    /// A tiny llama teacher (vocab 97) in HF form, without a tokenizer.
    static let teacher = repo.appendingPathComponent("Tests/RadModelZooTests/Fixtures/teachers/llama_tied_gqa").path

    static func temp() throws -> URL {
        let u = FileManager.default.temporaryDirectory.appendingPathComponent("rad-numbers-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
        return u
    }

    /// The teacher with a byte-level tokenizer ("a".."d", space, "ab", "abc"), copied into `dir`.
    static func model(in dir: URL, named name: String = "model") throws -> URL {
        let folder = dir.appendingPathComponent(name)
        try FileManager.default.copyItem(atPath: teacher, toPath: folder.path)
        try Data(ModelVerbsCLITests.tinyTokenizerJSON.utf8).write(to: folder.appendingPathComponent("tokenizer.json"))
        return folder
    }

    /// `folder` with the final norm's weights set to NaN: every logit is then NaN.
    static func poison(_ folder: URL) throws {
        let path = folder.appendingPathComponent("model.safetensors").path
        let info = try #require(try SafetensorsFile(path: path).info("model.norm.weight"))
        #expect(info.dtype == "F32")
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        for i in stride(from: info.byteRange.lowerBound, to: info.byteRange.upperBound, by: 4) {
            withUnsafeBytes(of: Float.nan.bitPattern.littleEndian) { bytes.replaceSubrange(i..<(i + 4), with: $0) }
        }
        try bytes.write(to: URL(fileURLWithPath: path))
    }

    static func text(in dir: URL, _ bytes: [UInt8] = Array("abc abc cab bad".utf8)) throws -> String {
        let url = dir.appendingPathComponent("t-\(UUID().uuidString.prefix(8)).txt")
        try Data(bytes).write(to: url)
        return url.path
    }

    /// Exit `status`, stderr ending in one `error:` line containing every needle (progress lines may
    /// come before it), nothing on stdout, no crash and no raw Foundation error.
    static func expectError(_ r: RadProcess.Result, status: Int32, naming needles: [String],
                            sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        #expect(r.status == status, "exit \(r.status): \(r.stderr)", sourceLocation: sourceLocation)
        let lines = r.stderr.split(separator: "\n").filter { !$0.isEmpty }
        #expect(lines.filter { $0.hasPrefix("error: ") }.count == 1 && lines.last?.hasPrefix("error: ") == true,
                "stderr: \(r.stderr)", sourceLocation: sourceLocation)
        for n in needles { #expect(r.stderr.contains(n), "'\(n)' not in: \(r.stderr)", sourceLocation: sourceLocation) }
        #expect(r.stdout.isEmpty, "stdout: \(r.stdout)", sourceLocation: sourceLocation)
        for raw in ["Invalid number value", "Fatal error", "Stack dump", "NSCocoaErrorDomain", "nll nan"] {
            #expect(!r.stderr.contains(raw), "'\(raw)' in: \(r.stderr)", sourceLocation: sourceLocation)
        }
    }

    @Test func scoreOfAModelWithNaNWeightsFailsNamingTheModel() throws {
        let dir = try Self.temp(); defer { try? FileManager.default.removeItem(at: dir) }
        let folder = try Self.model(in: dir)
        let text = try Self.text(in: dir)
        let healthy = try RadProcess.run(["score", "--model", folder.path, "--text", text, "--json"])
        #expect(healthy.status == 0, "\(healthy.stderr)")

        try Self.poison(folder)
        let message = "\(folder.path): the model produced non-finite log-likelihoods (NaN) on \(text); its weights may be damaged"
        for json in [false, true] {
            let r = try RadProcess.run(["score", "--model", folder.path, "--text", text] + (json ? ["--json"] : []))
            Self.expectError(r, status: 1, naming: [message])
        }
    }

    @Test func generateWithAModelWithNaNWeightsFailsNamingTheModel() throws {
        let dir = try Self.temp(); defer { try? FileManager.default.removeItem(at: dir) }
        let folder = try Self.model(in: dir)
        try Self.poison(folder)
        for temperature in ["0", "0.8"] {
            let r = try RadProcess.run(["generate", "--model", folder.path, "--prompt", "ab", "--max-tokens", "3",
                                        "--temperature", temperature])
            Self.expectError(r, status: 1, naming: [
                "\(folder.path): the model produced non-finite logits (NaN) on the prompt; its weights may be damaged"])
        }
    }

    @Test func evalOfAModelWithNaNWeightsFailsNamingTheModel() throws {
        let dir = try Self.temp(); defer { try? FileManager.default.removeItem(at: dir) }
        let folder = try Self.model(in: dir)
        try Self.poison(folder)
        let benchmarks = dir.appendingPathComponent("benchmarks")
        try FileManager.default.createDirectory(at: benchmarks, withIntermediateDirectories: true)
        try Data(Self.piqaRequests.utf8).write(to: benchmarks.appendingPathComponent("piqa.jsonl"))
        for json in [false, true] {
            let r = try RadProcess.run(["eval", "--model", folder.path, "--task", "piqa", "--benchmarks", benchmarks.path]
                                       + (json ? ["--json"] : []))
            Self.expectError(r, status: 1, naming: [
                "\(folder.path): the model produced non-finite log-likelihoods (NaN) on the piqa benchmark; its weights may be damaged"])
        }
    }

    /// One piqa document with two choices, in the benchmark files' request form.
    static let piqaRequests = """
    {"request_type":"loglikelihood","doc":{},"request":{"context":"ab ","continuation":"abc"},"doc_id":0,"idx":0,"label":0}
    {"request_type":"loglikelihood","doc":{},"request":{"context":"ab ","continuation":"cab"},"doc_id":0,"idx":1,"label":0}

    """

    @Test func pipelineEvaluateOfAModelWithNaNWeightsFailsTheStep() throws {
        let dir = try Self.temp(); defer { try? FileManager.default.removeItem(at: dir) }
        let folder = try Self.model(in: dir)
        try Self.poison(folder)
        // The evaluate step looks for assets/benchmarks next to the manifest.
        let benchmarks = dir.appendingPathComponent("assets/benchmarks")
        try FileManager.default.createDirectory(at: benchmarks, withIntermediateDirectories: true)
        try Data(Self.piqaRequests.utf8).write(to: benchmarks.appendingPathComponent("piqa.jsonl"))
        let manifest = dir.appendingPathComponent("nan-eval.yaml")
        try Data("""
        name: nan-eval
        teacher: { source: \(folder.path) }
        steps:
          eval: { kind: evaluate, models: [teacher], tasks: [piqa], limit: 1, heldout_perplexity: false }

        """.utf8).write(to: manifest)
        let r = try RadProcess.run(["run", manifest.path, "--cache", dir.appendingPathComponent("cache").path,
                                    "--runs", dir.appendingPathComponent("runs").path], cwd: dir)
        #expect(r.status == 1, "exit \(r.status): \(r.stdout)\n\(r.stderr)")
        let all = r.stdout + r.stderr
        #expect(all.contains("step 'eval': model 'teacher' (\(folder.path)): the model produced non-finite log-likelihoods (NaN) on the piqa benchmark"),
                "\(all)")
        #expect(!all.contains("Invalid number value") && !all.contains("Fatal error"))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("runs/nan-eval/latest/eval.json").path))
    }

    @Test func textThatIsNotUTF8OrIsBinaryIsInvalidInput() throws {
        let dir = try Self.temp(); defer { try? FileManager.default.removeItem(at: dir) }
        let folder = try Self.model(in: dir)
        var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: 2000)
        bytes[1234] = 0xFF
        let notUTF8 = try Self.text(in: dir, bytes)
        Self.expectError(try RadProcess.run(["score", "--model", folder.path, "--text", notUTF8]), status: 2,
                         naming: ["\(notUTF8): not UTF-8 text: invalid byte 0xFF at offset 1234"])
        let binary = try Self.text(in: dir, Array("ab".utf8) + [0, 1, 2])
        Self.expectError(try RadProcess.run(["score", "--model", folder.path, "--text", binary, "--json"]), status: 2,
                         naming: ["\(binary): binary data, not text: NUL byte at offset 2"])
    }

    @Test func modelWhoseTensorsOverlapIsInvalidInput() throws {
        let dir = try Self.temp(); defer { try? FileManager.default.removeItem(at: dir) }
        let folder = try Self.model(in: dir)
        // Point layer 1's input norm at layer 0's bytes (same dtype and size: every other check passes).
        let path = folder.appendingPathComponent("model.safetensors").path
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let n = Int(data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        var header = try #require(try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + n))) as? [String: Any])
        let a = "model.layers.0.input_layernorm.weight", b = "model.layers.1.input_layernorm.weight"
        var entry = try #require(header[b] as? [String: Any])
        entry["data_offsets"] = (header[a] as? [String: Any])?["data_offsets"]
        header[b] = entry
        var json = try JSONSerialization.data(withJSONObject: header)
        try #require(json.count <= n)
        json.append(contentsOf: [UInt8](repeating: 0x20, count: n - json.count))   // same length: offsets keep their meaning
        try (data.prefix(8) + json + data.suffix(from: 8 + n)).write(to: URL(fileURLWithPath: path))
        let text = try Self.text(in: dir)
        Self.expectError(try RadProcess.run(["score", "--model", folder.path, "--text", text]), status: 2,
                         naming: [path, "'\(a)'", "'\(b)'", "overlap"])
    }
}
