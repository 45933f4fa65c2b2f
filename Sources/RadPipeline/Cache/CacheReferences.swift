import Foundation

/// The cache keys manifests reference (for `rad cache gc --keep`): every non-source node's key, and the
/// partial checkpoints under those keys.
public enum CacheReferences {
    public static func keys(of manifest: Manifest) -> Set<String> {
        let graph = StepGraph(manifest: manifest)
        let keys = CacheKeyDeriver().keys(for: graph, seed: manifest.seed)
        return Set(graph.nodes.filter { !$0.isSource }.compactMap { keys[$0.id]?.key })
    }
}
