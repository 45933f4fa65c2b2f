import RadModelZoo
import RadOps
import Foundation

/// The zero-shot benchmarks of assets.md and the metric the paper reports for each (spec §5).
public enum EvalTask: String, CaseIterable, Sendable, Codable {
    case lambada, hellaswag, piqa, winogrande
    case arcEasy = "arc_easy", arcChallenge = "arc_challenge"

    /// The paper's metric: acc for lambada (greedy), arc_easy, piqa, winogrande; acc_norm (per-char)
    /// for arc_challenge and hellaswag.
    public var paperMetric: String {
        switch self {
        case .lambada: return "greedy_acc"
        case .hellaswag, .arcChallenge: return "acc_per_char"
        default: return "acc"
        }
    }

    /// Accuracy of random guessing, for the paper's relative score (s − r)/(t − r).
    public var randomBaseline: Double {
        switch self {
        case .lambada: return 0
        case .hellaswag, .arcEasy, .arcChallenge: return 0.25
        case .piqa, .winogrande: return 0.5
        }
    }

    /// File under the benchmarks asset folder.
    public var fileName: String { rawValue + ".jsonl" }
}

/// One log-likelihood request: a context and one candidate continuation of a document.
public struct EvalRequest: Sendable {
    public var docId: Int
    public var choice: Int
    public var label: Int
    public var context: String
    public var continuation: String
}

public enum EvalRequestLoader {
    /// Requests of the first `limit` documents (all when nil), grouped by document in file order.
    /// Unconditional requests (hellaswag's doc_id ≥ 1,000,000) are skipped.
    public static func load(_ path: String, limit: Int?) throws -> [[EvalRequest]] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DataError("\(path): cannot read benchmark requests (run scripts/fetch-assets.sh benchmarks)")
        }
        try UserText.check(data, file: path)
        var byDoc: [Int: [EvalRequest]] = [:]
        var order: [Int] = []
        for (n, line) in data.split(separator: UInt8(ascii: "\n")).enumerated() {
            guard let obj = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                  let docId = obj["doc_id"] as? Int, let request = obj["request"] as? [String: Any],
                  let context = request["context"] as? String, let continuation = request["continuation"] as? String
            else { throw DataError("\(path):\(n + 1): not a log-likelihood request") }
            if docId >= 1_000_000 { continue }
            if byDoc[docId] == nil {
                if let limit, order.count >= limit { continue }
                order.append(docId)
            }
            let choice = obj["idx"] as? Int ?? 0
            let label = obj["label"] as? Int ?? 0
            byDoc[docId, default: []].append(EvalRequest(docId: docId, choice: choice, label: label,
                                                         context: context, continuation: continuation))
        }
        return order.map { byDoc[$0]!.sorted { $0.choice < $1.choice } }
    }
}
