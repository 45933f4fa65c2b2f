import Foundation
import Testing
import RadPipeline

/// Manifests that crashed the validator under the fuzz harness (Fuzz/); the same texts are seeds in
/// Fuzz/Corpus/manifest. Each must now be an ordinary diagnostic.
@Suite struct FuzzRegressionTests {
    static func diagnostics(_ text: String) -> [Diagnostic] {
        do {
            let root = try YamlParser().parse(text, file: "m.yaml")
            _ = try ManifestValidator().validate(root, file: "m.yaml")
            return []
        } catch let e as ManifestErrors {
            return e.diagnostics
        } catch {
            Issue.record("unexpected \(error)")
            return []
        }
    }

    /// A whole float equal to 2^63 passed `d <= Double(Int64.max)` (that Double is 2^63 too) and trapped
    /// in Int64(d) (Fuzz/Corpus/manifest/regression-seed-two-to-the-63.yaml).
    @Test func wholeFloatJustPastInt64MaxIsARangeError() {
        for text in ["9223372036854775808.0", "9.223372036854775808e18", "1e19"] {
            let seeds = Self.diagnostics("name: x\nseed: \(text)\n").filter { $0.message.contains("'seed'") }
            #expect(seeds.count == 1, "\(text): \(seeds)")
            #expect(seeds.first?.category == .range)
            #expect(seeds.first?.message.contains("must be between 0 and 9223372036854775807") == true, "\(seeds)")
        }
    }

    /// A valid manifest with the given seed text.
    static func manifest(seed: String) -> String {
        """
        name: ok
        seed: \(seed)
        teacher: { source: teacher.gguf }
        student: { architecture: rad-rwkv6 }
        steps:
          align: { kind: align_hidden_states, data: train }
        data:
          train: { files: [text/*.txt] }

        """
    }

    /// The largest whole float below 2^63 is still a valid seed, and so is a negative zero.
    @Test func wholeFloatsInsideTheRangeAreStillInts() throws {
        for (text, value) in [("9223372036854774784.0", Int64(9_223_372_036_854_774_784)), ("-0.0", 0), ("42.0", 42)] {
            let root = try YamlParser().parse(Self.manifest(seed: text), file: "m.yaml")
            #expect(try ManifestValidator().validate(root, file: "m.yaml").seed == value, "\(text)")
        }
    }
}
