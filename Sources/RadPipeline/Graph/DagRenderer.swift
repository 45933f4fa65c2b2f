/// `rad dag`: the graph as Mermaid or Graphviz dot text, nodes labelled with their kind.
public enum DagRenderer {
    public enum Format: String, CaseIterable { case mermaid, dot }

    public static func render(_ graph: StepGraph, format: Format) -> String {
        func ident(_ id: String) -> String { "n_" + id.map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined() }
        var lines: [String] = []
        switch format {
        case .mermaid:
            lines.append("flowchart TD")
            for n in graph.nodes {
                let shape = n.isSource ? ("[(", ")]") : ("[", "]")
                lines.append("  \(ident(n.id))\(shape.0)\"\(n.id)<br/><i>\(n.kind)</i>\"\(shape.1)")
            }
            for n in graph.nodes { for i in n.inputs { lines.append("  \(ident(i.id)) -->|\(i.role)| \(ident(n.id))") } }
        case .dot:
            lines.append("digraph pipeline {")
            lines.append("  rankdir=TB;")
            for n in graph.nodes {
                lines.append("  \(ident(n.id)) [label=\"\(n.id)\\n(\(n.kind))\", shape=\(n.isSource ? "cylinder" : "box")];")
            }
            for n in graph.nodes { for i in n.inputs { lines.append("  \(ident(i.id)) -> \(ident(n.id)) [label=\"\(i.role)\"];") } }
            lines.append("}")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
