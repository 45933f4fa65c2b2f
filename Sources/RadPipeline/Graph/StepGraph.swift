/// The executable graph of a manifest: the written steps plus the implicit nodes they need (the teacher
/// and tokenizer sources, tokenised data, the initialised student), in dependency order.
public struct StepGraph: Sendable {
    public struct Node: Sendable {
        /// `teacher`, `tokenizer`, `data.NAME`, `student.init`, or a step name.
        public var id: String
        public var kind: String
        /// (role, node id): `model`, `teacher`, `tokenizer`, `data`, `models[0]`, ...
        public var inputs: [(role: String, id: String)]
        /// Output-affecting settings that enter the key.
        public var settings: [String: CanonicalValue]
        /// Source nodes (teacher, tokenizer) are read in place: never executed or stored.
        public var isSource: Bool
        public var step: Manifest.Step?
    }

    public static let implicitKinds = ["load_teacher", "load_tokenizer", TokenizeStep.name, InitStudentExecutor.name]

    /// In dependency order (inputs before the nodes that use them), steps in the order written otherwise.
    public var nodes: [Node]

    public func node(_ id: String) -> Node? { nodes.first { $0.id == id } }

    public init(manifest m: Manifest) {
        var nodes: [String: Node] = [:]
        var order: [String] = []
        func add(_ n: Node) { if nodes[n.id] == nil { nodes[n.id] = n; order.append(n.id) } }

        func teacher() -> String {
            add(Node(id: "teacher", kind: "load_teacher", inputs: [],
                     settings: ["source": .string(m.teacher!.source), "format": .string(m.teacher!.format)], isSource: true))
            return "teacher"
        }
        func tokenizer() -> String {
            let source = m.tokenizer ?? m.teacher!.source
            add(Node(id: "tokenizer", kind: "load_tokenizer", inputs: [], settings: ["source": .string(source)], isSource: true))
            return "tokenizer"
        }
        func data(_ name: String) -> String {
            let node = TokenizeStep.node(m.dataSource(named: name)!, tokenizer: tokenizer)
            add(node)
            return node.id
        }
        func student() -> String {
            let node = InitStudentExecutor.node(m.student!, teacher: teacher)
            add(node)
            return node.id
        }

        // The evaluate steps a step waits for: an export's model card carries its model's evaluation.
        func evaluations(_ s: Manifest.Step) -> [String] {
            guard s.decoded.needs.evaluationsOfItsModel, let model = s.after else { return [] }
            return EvaluateStep.evaluations(of: model, in: m)
        }
        // Steps in an order where every `after`/`models`/evaluation input comes first (the manifest is
        // validated: no cycles; an evaluate step produces no model, so waiting for one makes none).
        var placed = Set<String>()
        var remaining = m.steps
        while !remaining.isEmpty {
            let i = remaining.firstIndex { s in
                ([s.after].compactMap { $0 } + s.models + evaluations(s)).allSatisfy { $0 == "teacher" || placed.contains($0) }
            } ?? 0
            let s = remaining.remove(at: i)
            var inputs: [(String, String)] = []
            let needs = s.decoded.needs
            if s.spec.modelInput != .none { inputs.append(("model", s.after ?? student())) }
            for (j, model) in s.models.enumerated() { inputs.append(("models[\(j)]", model == "teacher" ? teacher() : model)) }
            for (j, eval) in evaluations(s).enumerated() { inputs.append(("evaluations[\(j)]", eval)) }
            if needs.teacher && !s.models.contains("teacher") { inputs.append(("teacher", teacher())) }
            if let d = needs.data { inputs.append(("data", data(d.name))) }
            if needs.tokenizerFor != nil { inputs.append(("tokenizer", tokenizer())) }
            add(Node(id: s.name, kind: s.kind, inputs: inputs, settings: s.outputSettings, isSource: false, step: s))
            placed.insert(s.name)
        }
        self.nodes = order.map { nodes[$0]! }
    }

    /// The node and every node that (transitively) consumes it.
    public func descendants(of id: String) -> Set<String> {
        var out: Set<String> = [id]
        for n in nodes where n.inputs.contains(where: { out.contains($0.id) }) { out.insert(n.id) }
        return out
    }

    /// The node and everything it (transitively) needs.
    public func ancestors(of id: String) -> Set<String> {
        var out: Set<String> = [id]
        for n in nodes.reversed() where out.contains(n.id) { for i in n.inputs { out.insert(i.id) } }
        return out
    }
}
