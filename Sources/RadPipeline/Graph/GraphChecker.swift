import RadModelZoo
/// The checks that need the whole manifest: references between steps, cycles, and what steps need from
/// the rest of the manifest (a teacher, a tokenizer, a student, data).
struct GraphChecker {
    let manifest: Manifest
    let root: YamlNode
    let bag: DiagnosticBag

    func node(_ step: String, _ key: String) -> YamlNode? { root["steps"]?[step]?[key] }

    func check() {
        let modelSteps = manifest.steps.filter { $0.spec.producesModel }.map(\.name)
        let allSteps = manifest.steps.map(\.name)
        // Names written in the file, valid or not: a reference to a step that failed its own checks is not
        // reported again as unknown (one mistake, one error).
        let writtenSteps = root["steps"]?.mappingPairs?.compactMap { $0.key.scalarText } ?? []
        let hasTeacher = root["teacher"] != nil, hasStudent = root["student"] != nil
        let dataNames = manifest.data.map(\.name)
        for step in manifest.steps {
            let spec = step.spec, needs = step.decoded.needs
            let label = "step '\(step.name)' (\(step.kind))"
            if let after = step.after { reference(after, from: step.name, key: "after", modelSteps: modelSteps, allSteps: allSteps, written: writtenSteps, allowTeacher: false) }
            for (i, m) in step.models.enumerated() {
                reference(m, from: step.name, key: "models", index: i, modelSteps: modelSteps, allSteps: allSteps, written: writtenSteps, allowTeacher: true)
            }
            if needs.teacher && !hasTeacher {
                bag.error("\(label) needs a teacher, but the manifest has no 'teacher' (add teacher: { source: PATH })", at: step.location, .graph)
            }
            if spec.modelInput == .optional && step.after == nil && !hasStudent {
                bag.error("\(label) starts from the initialised student, but the manifest has no 'student' (add student: { architecture: ... } or 'after:')", at: step.location, .graph)
            }
            if let use = needs.data {
                let dataName = use.name
                if let source = manifest.dataSource(named: dataName) {
                    if source.needsTokenizer && !hasTeacher && root["tokenizer"] == nil {
                        bag.error("\(label) reads text data '\(dataName)', which needs a tokenizer: add 'teacher' or 'tokenizer'", at: step.location, .graph)
                    }
                } else if root["data"]?[dataName] == nil {
                    let at = node(step.name, "data")?.location ?? step.location
                    let why = use.missingDefault != nil && node(step.name, "data") == nil
                        ? "\(label) \(use.missingDefault!)"
                        : "\(label) uses data '\(dataName)', which is not defined under 'data'\(Suggestions.didYouMean(dataName, dataNames))"
                    bag.error(why, at: at, .reference)
                }
            }
            if let why = needs.tokenizerFor, !hasTeacher, root["tokenizer"] == nil {
                bag.error("\(label) \(why), which need a tokenizer: add 'teacher' or 'tokenizer'", at: step.location, .graph)
            }
        }
        // `{ auto: K }` is decided by an align step: without one the student would silently stay pure.
        if let k = manifest.student?.autoSoftmaxLayers, !manifest.steps.contains(where: { $0.kind == AlignHiddenStatesStep.name }) {
            let at = root["student"]?["options"]?[StudentDescriptor.softmaxLayersOption] ?? root["student"] ?? root
            bag.error("softmax_layers: { auto: \(k) } chooses the layers by measurement after stage 1, but no step is an "
                      + "align_hidden_states step: add one, or give a count (softmax_layers: \(k) keeps the last \(k) layers)",
                      at: at.location, .graph)
        }
        // A step that failed its own checks still has its references checked, so that a misspelt task
        // does not hide a misspelt model (every problem at once).
        let validated = Set(allSteps)
        for (k, v) in root["steps"]?.mappingPairs ?? [] {
            guard let name = k.scalarText, !validated.contains(name), v.mappingPairs != nil else { continue }
            if let after = v["after"]?.scalarText {
                reference(after, from: name, key: "after", modelSteps: modelSteps, allSteps: allSteps, written: writtenSteps, allowTeacher: false)
            }
            for (i, item) in (v["models"]?.sequenceItems ?? []).enumerated() {
                guard let m = item.scalarText else { continue }
                reference(m, from: name, key: "models", index: i, modelSteps: modelSteps, allSteps: allSteps, written: writtenSteps, allowTeacher: true)
            }
        }
        if let student = manifest.student, student.checkpoint == nil, !hasTeacher,
           manifest.steps.contains(where: { $0.spec.modelInput == .optional && $0.after == nil }) {
            bag.error("the student is initialised from the teacher's weights, but the manifest has no 'teacher' (add one, or student.checkpoint)",
                      at: root["student"]?.location, .graph)
        }
        checkCycles()
    }

    func reference(_ target: String, from stepName: String, key: String, index: Int? = nil,
                   modelSteps: [String], allSteps: [String], written: [String], allowTeacher: Bool) {
        var at = node(stepName, key)
        if let index, let items = at?.sequenceItems, index < items.count { at = items[index] }
        let loc = at?.location ?? root["steps"]?[stepName]?.location
        if allowTeacher && target == "teacher" {
            if root["teacher"] == nil { bag.error("step '\(stepName)' evaluates the teacher, but the manifest has no 'teacher'", at: loc, .graph) }
            return
        }
        if target == stepName { bag.error("step '\(stepName)' refers to itself in '\(key)'", at: loc, .graph); return }
        guard allSteps.contains(target) else {
            if written.contains(target) { return }
            let candidates = written + (allowTeacher ? ["teacher"] : [])
            bag.error("'\(key)' of step '\(stepName)' names unknown step '\(target)'\(Suggestions.didYouMean(target, candidates))", at: loc, .reference)
            return
        }
        guard modelSteps.contains(target) else {
            let kind = manifest.step(named: target)!.kind
            bag.error("'\(key)' of step '\(stepName)' names step '\(target)' (\(kind)), which produces no model", at: loc, .reference)
            return
        }
    }

    func checkCycles() {
        let byName = Dictionary(manifest.steps.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        func deps(_ s: Manifest.Step) -> [String] { ([s.after].compactMap { $0 } + s.models).filter { byName[$0] != nil } }
        var state: [String: Int] = [:] // 1 = on the path, 2 = done
        var reported = Set<String>()
        func visit(_ name: String, _ path: [String]) {
            if state[name] == 2 { return }
            if state[name] == 1 {
                let cycle = Array(path[path.firstIndex(of: name)!...]) + [name]
                let key = Set(cycle)
                if reported.insert(key.sorted().joined(separator: ",")).inserted {
                    bag.error("steps form a cycle: \(cycle.joined(separator: " -> "))", at: byName[name]!.location, .graph)
                }
                return
            }
            state[name] = 1
            for d in deps(byName[name]!) where d != name { visit(d, path + [name]) } // self-references are reported as such
            state[name] = 2
        }
        for s in manifest.steps { visit(s.name, []) }
    }
}
