import Foundation
import RadModelZoo

/// Paths of committed fixtures and fetched assets, found from this file's location.
enum TestPaths {
    static let testsDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let repoRoot = testsDir.deletingLastPathComponent().deletingLastPathComponent()
    static func fixture(_ name: String) -> String { testsDir.appendingPathComponent("Fixtures/" + name).path }
    static let smolLM2 = repoRoot.appendingPathComponent("assets/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf").path
}

/// Raw little-endian f32 values.
func readFloats(_ path: String) -> [Float] {
    let data = FileManager.default.contents(atPath: path)!
    return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
}

func jsonObject(_ path: String) -> [String: Any] {
    (try! JSONSerialization.jsonObject(with: FileManager.default.contents(atPath: path)!)) as! [String: Any]
}

func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "sizes differ: \(a.count) vs \(b.count)")
    var m: Float = 0
    for i in a.indices { m = max(m, abs(a[i] - b[i])) }
    return m
}

/// Deterministic token ids for tests.
func testTokens(_ count: Int, vocab: Int, seed: UInt64 = 1) -> [Int32] {
    var rng = InitRNG(seed: seed)
    return (0..<count).map { _ in Int32(rng.nextUInt64() % UInt64(vocab)) }
}
