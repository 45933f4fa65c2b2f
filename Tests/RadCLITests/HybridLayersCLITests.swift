import Foundation
import Testing

/// `student.options.softmax_layers: { auto: K }` through `rad run`: the align step scores every layer,
/// keeps K as softmax attention, and the choice reaches the run record, the report, the later stages
/// and the export; a manifest without an align step is refused.
@Suite struct HybridLayersCLITests {
    static func manifest(in dir: URL, steps: String) throws -> URL {
        try TinyConversion.manifest(in: dir, name: "hybrid", seed: 5, student: "\n  architecture: rad-rwkv6\n  options: { softmax_layers: { auto: 1 } }", steps: steps)
    }

    @Test func theAlignStepChoosesTheLayerAndEverythingAfterItKeepsIt() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rad-hybrid-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let manifest = try Self.manifest(in: dir, steps: """
          align: { kind: align_hidden_states, tokens: 1280, seq_len: 32, batch: 4, lr: 1e-3, selection_tokens: 128 }
          distill: { kind: distill_logits, after: align, tokens: 256, seq_len: 32, batch: 4, lr: 1e-4 }
          export: { kind: export_hf, after: distill, to: out }

        """)
        let args = ["run", manifest.path, "--cache", dir.appendingPathComponent("cache").path,
                    "--runs", dir.appendingPathComponent("runs").path]
        let first = try RadProcess.run(args)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.contains("align: scoring every layer's conversion by KL on 128 tokens, to keep 1 as softmax attention"), "\(first.stderr)")
        #expect(first.stderr.contains("align: kept softmax attention in layer "), "\(first.stderr)")

        let run = dir.appendingPathComponent("runs/hybrid/latest")
        let record = try JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("run.json"))) as! [String: Any]
        let align = (record["nodes"] as! [String: Any])["align"] as! [String: Any]
        let selection = try #require(align["layer_selection"] as? [String: Any])
        let chosen = try #require(selection["chosen"] as? [Int])
        let scores = try #require(selection["scores"] as? [Double])
        #expect(chosen.count == 1 && scores.count == 2 && scores.allSatisfy { $0 > 0 })
        #expect(scores[chosen[0]] == scores.max(), "the costlier layer is kept: \(scores)")
        #expect(selection["tokens"] as? Int == 128 && selection["held_out"] as? Bool == true)

        // The exported config states the kept layer: the last layer as the reference's count, another as a list.
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("out/config.json"))) as! [String: Any]
        if chosen == [1] { #expect(config["num_attention_layers"] as? Int == 1 && config["attention_layers"] == nil) }
        else { #expect(config["attention_layers"] as? [Int] == chosen && config["num_attention_layers"] == nil) }
        // The export is a hybrid that rad reads back (its softmax layer is plain attention).
        let inspected = try RadProcess.run(["inspect", dir.appendingPathComponent("out").path])
        #expect(inspected.status == 0, "\(inspected.stderr)")

        let html = try String(contentsOf: run.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(html.contains("<h2>Hybrid layers</h2>") && html.contains("kept layers \(chosen[0]) as softmax attention"))
        #expect(html.contains("<td class=set>{ auto: 1 }</td>"), "the option as a manifest writes it")

        // A second run finds every step cached and reports the same choice.
        let second = try RadProcess.run(args)
        #expect(second.status == 0, "\(second.stderr)")
        let again = try JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("run.json"))) as! [String: Any]
        let cachedAlign = (again["nodes"] as! [String: Any])["align"] as! [String: Any]
        #expect(cachedAlign["status"] as? String == "cached")
        #expect((cachedAlign["layer_selection"] as? [String: Any])?["chosen"] as? [Int] == chosen)
    }

    @Test func autoWithoutAnAlignStepAndBadValuesAreRefused() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rad-hybrid-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let manifest = try Self.manifest(in: dir, steps: """
          distill: { kind: distill_logits, tokens: 256, seq_len: 32, batch: 4, lr: 1e-4 }

        """)
        let r = try RadProcess.run(["validate", manifest.path])
        #expect(r.status == 2)
        #expect(r.stderr.contains("hybrid.yaml:8:") && r.stderr.contains("softmax_layers: { auto: 1 } chooses the layers by measurement after stage 1"),
                "\(r.stderr)")
        for (bad, message) in [("{ auto: 0 }", "auto in option 'softmax_layers' of rad-rwkv6 must be a whole number of layers between 1 and"),
                               ("{ atuo: 1 }", "must be a layer count or { auto: K }"), ("-1", "must be between 0 and")] {
            let text = try String(contentsOf: manifest, encoding: .utf8).replacingOccurrences(of: "{ softmax_layers: { auto: 1 } }",
                                                                                                  with: "{ softmax_layers: \(bad) }")
            try Data(text.utf8).write(to: manifest)
            let v = try RadProcess.run(["validate", manifest.path])
            #expect(v.status == 2 && v.stderr.contains(message), "\(bad): \(v.stderr)")
            try Data(text.replacingOccurrences(of: "{ softmax_layers: \(bad) }", with: "{ softmax_layers: { auto: 1 } }").utf8).write(to: manifest)
        }
    }
}
