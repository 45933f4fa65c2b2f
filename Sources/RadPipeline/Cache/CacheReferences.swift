import Foundation

/// The cache keys manifests reference (for `rad cache gc --keep`): every non-source node's key, and the
/// partial checkpoints under those keys.
public enum CacheReferences {
    public static func keys(of manifest: Manifest) -> Set<String> {
        let graph = StepGraph(manifest: manifest)
        let keys = CacheKeyDeriver().keys(for: graph, seed: manifest.seed)
        var out = Set<String>()
        for node in graph.nodes where !node.isSource {
            guard let key = keys[node.id] else { continue }
            out.insert(key.key)
            out.formUnion(StepKindCatalog.shared.nodeKind(node.kind)?.derivedKeys(key) ?? [])
        }
        return out
    }
}
