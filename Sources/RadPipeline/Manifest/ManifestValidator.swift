import RadModelZoo
import RadOps
import Foundation

/// Turns a merged YAML tree into a `Manifest`, reporting every problem at once.
public struct ManifestValidator {
    public init() {}

    /// `checkInputs`: also require every file, folder and glob the manifest names (`InputChecker`).
    /// `alsoCheck`: further checks of the (possibly partial) manifest whose problems are reported with
    /// the validator's own, so that one pass shows every problem (exports, memory).
    public func validate(_ root: YamlNode, file: String, checkInputs: Bool = false,
                         alsoCheck: [(Manifest, YamlNode) -> [Diagnostic]] = []) throws -> Manifest {
        let bag = DiagnosticBag()
        let c = ValueChecker(bag: bag)
        guard let pairs = root.mappingPairs else {
            throw ManifestErrors([Diagnostic("a manifest must be a mapping of keys (name, teacher, steps, ...), found \(root.kindName)", at: root.location, category: .schema)])
        }
        for (k, _) in pairs where !TopLevelSchema.keys.contains(k.scalarText ?? "") {
            let key = k.scalarText ?? ""
            bag.error("unknown top-level key '\(key)'\(Suggestions.didYouMean(key, TopLevelSchema.keys))", at: k.location, .schema)
        }
        let name = root["name"].flatMap { c.check($0, .string(pattern: TopLevelSchema.namePattern), "'name'")?.stringValue }
        if root["name"] == nil { bag.error("missing required key 'name' (names the run folder and the exported model)", at: root.location, .schema) }
        let seed = root["seed"].map { c.check($0, .int(min: 0, max: Int64.max), "'seed'")?.intValue ?? 0 } ?? 0

        var teacher: Manifest.Teacher?
        if let t = root["teacher"], let r = c.record(t, TopLevelSchema.teacher, "'teacher'") {
            teacher = Manifest.Teacher(source: r["source"]!.stringValue!, format: r["format"]!.stringValue!)
        }
        var tokenizer: String?
        if let t = root["tokenizer"], let r = c.record(t, TopLevelSchema.tokenizer, "'tokenizer'") { tokenizer = r["source"]?.stringValue }

        var distributed = Manifest.Distributed()
        if let d = root["distributed"], let r = c.record(d, TopLevelSchema.distributed, "'distributed'") {
            distributed.shardOptimizer = r["shard_optimizer"]?.boolValue ?? distributed.shardOptimizer
            distributed.overlapBackward = r["overlap_backward"]?.boolValue ?? distributed.overlapBackward
            if let mb = r["bucket_mb"]?.doubleValue { distributed.bucketBytes = Int((mb * 1048576).rounded()) }
        }
        let data = validateData(root["data"], c)
        let student = validateStudent(root["student"], c)
        let steps = try validateSteps(root["steps"], root: root, c)

        let manifest = Manifest(file: file, name: name ?? "unnamed", seed: seed, teacher: teacher, tokenizer: tokenizer,
                                data: data, student: student, distributed: distributed, steps: steps, resolved: Self.json(root))
        GraphChecker(manifest: manifest, root: root, bag: bag).check()
        if checkInputs { InputChecker(manifest: manifest, root: root, bag: bag).check() }
        for check in alsoCheck { bag.append(contentsOf: check(manifest, root)) }
        if !bag.isEmpty { throw ManifestErrors(bag.sorted) }
        return manifest
    }

    func validateData(_ node: YamlNode?, _ c: ValueChecker) -> [Manifest.DataSource] {
        guard let node else { return [] }
        guard let pairs = node.mappingPairs else {
            c.schemaError("'data' must map names (train, heldout, ...) to sources, found \(node.kindName)", node); return []
        }
        var out: [Manifest.DataSource] = []
        for (k, v) in pairs {
            let name = k.scalarText ?? ""
            let what = "data source '\(name)'"
            if !ScalarValue.matches(name, try! NSRegularExpression(pattern: TopLevelSchema.namePattern)) {
                c.schemaError("data source name '\(name)' must match \(TopLevelSchema.namePattern)", k); continue
            }
            guard let vp = v.mappingPairs else { c.schemaError("\(what) must be a mapping, found \(v.kindName)", v); continue }
            let present = TopLevelSchema.dataKinds.filter { kind in vp.contains { $0.key.scalarText == kind.kind.rawValue } }
            guard present.count == 1, let kind = present.first else {
                let kinds = TopLevelSchema.dataKinds.map { "'\($0.kind.rawValue)'" }.joined(separator: ", ")
                if present.isEmpty {
                    // Point at a misspelt source key if there is one.
                    let all = TopLevelSchema.dataKinds.flatMap { $0.fields.map(\.name) } + TopLevelSchema.dataCommon.map(\.name)
                    for (kk, _) in vp where !all.contains(kk.scalarText ?? "") {
                        c.schemaError("unknown key '\(kk.scalarText ?? "")' in \(what)\(Suggestions.didYouMean(kk.scalarText ?? "", all))", kk)
                    }
                    c.schemaError("\(what) needs exactly one of \(kinds)", v)
                } else {
                    c.schemaError("\(what) has both \(present.map { "'\($0.kind.rawValue)'" }.joined(separator: " and ")); give exactly one of \(kinds)", v)
                }
                continue
            }
            guard let r = c.record(v, kind.fields + TopLevelSchema.dataCommon, what) else { continue }
            if r["part"] != .string("all"), (r["heldout_fraction"]?.doubleValue ?? 0) == 0 {
                c.rangeError("\(what) reads part '\(r["part"]!.display)' of a split, but its heldout_fraction is 0", v); continue
            }
            let raw = r[kind.kind.rawValue]?.arrayValue?.compactMap(\.stringValue) ?? [r[kind.kind.rawValue]?.stringValue].compactMap { $0 }
            // Globs and prefixes are paths: relative to the file that wrote them.
            let at = v[kind.kind.rawValue]!.location
            let paths = raw.map { ManifestPaths.resolve($0, from: at) }
            out.append(Manifest.DataSource(name: name, kind: kind.kind, paths: paths, field: r["field"]?.stringValue,
                                           eosBetweenDocuments: r["eos_between_documents"]?.boolValue ?? true,
                                           heldoutFraction: r["heldout_fraction"]?.doubleValue ?? 0,
                                           part: r["part"]?.stringValue ?? "all", settings: r))
        }
        return out
    }

    func validateStudent(_ node: YamlNode?, _ c: ValueChecker) -> Manifest.Student? {
        guard let node else { return nil }
        guard let r = c.record(node, TopLevelSchema.student, "'student'", extraKeys: ["options"]) else {
            // Still check the options against a misspelt architecture's nearest match? No: one error is enough.
            return nil
        }
        let arch = r["architecture"]!.stringValue!
        let descriptor = ArchitectureCatalog.descriptor(named: arch)!
        var options: [String: CanonicalValue] = [:]
        for o in descriptor.options { options[o.name] = Self.canonical(o.defaultValue) }
        if let on = node["options"] {
            guard let pairs = on.mappingPairs else {
                c.schemaError("'options' of the student must be a mapping, found \(on.kindName)", on); return nil
            }
            let names = descriptor.options.map(\.name)
            var ok = true
            for (k, v) in pairs {
                let key = k.scalarText ?? ""
                guard let o = descriptor.option(named: key) else {
                    let other = ArchitectureCatalog.all.filter { $0.option(named: key) != nil }.map(\.name)
                    let hint = other.isEmpty ? Suggestions.didYouMean(key, names) : " (only \(other.joined(separator: ", ")) \(other.count == 1 ? "has" : "have") it)"
                    c.schemaError("architecture '\(arch)' has no option '\(key)'\(hint)", k); ok = false; continue
                }
                if let value = c.check(v, Self.valueType(o.kind), "option '\(key)' of \(arch)") { options[key] = value } else { ok = false }
            }
            if !ok { return nil }
        }
        let student: StudentDescriptor
        do { student = try StudentDescriptor(architecture: arch, canonicalOptions: options) }
        catch { c.schemaError("\(error)", node["options"] ?? node); return nil }
        return Manifest.Student(architecture: arch, options: options, descriptor: student, checkpoint: r["checkpoint"]?.stringValue)
    }

    func validateSteps(_ node: YamlNode?, root: YamlNode, _ c: ValueChecker) throws -> [Manifest.Step] {
        guard let node else {
            c.bag.error("missing required key 'steps' (what to run, e.g. align_hidden_states, distill_logits)", at: root.location, .schema); return []
        }
        guard let pairs = node.mappingPairs else {
            c.schemaError("'steps' must map step names to steps, found \(node.kindName)", node); return []
        }
        if pairs.isEmpty { c.schemaError("'steps' is empty; a manifest needs at least one step", node) }
        let kinds = StepKindCatalog.shared.all.map(\.name)
        var out: [Manifest.Step] = []
        for (k, v) in pairs {
            let name = k.scalarText ?? ""
            if !ScalarValue.matches(name, try! NSRegularExpression(pattern: TopLevelSchema.namePattern)) {
                c.schemaError("step name '\(name)' must match \(TopLevelSchema.namePattern)", k); continue
            }
            if ["teacher", "student"].contains(name) || name.hasPrefix("data.") {
                c.bag.error("step name '\(name)' is reserved (it names an implicit node)", at: k.location, .reference); continue
            }
            guard v.mappingPairs != nil else { c.schemaError("step '\(name)' must be a mapping with a 'kind', found \(v.kindName)", v); continue }
            guard let kindNode = v["kind"] else {
                // Most often a misspelt step name in an override (`-s steps.algn.tokens=5k` makes a new step).
                let others = pairs.compactMap { p in p.value["kind"] == nil ? nil : p.key.scalarText }
                let typo = Suggestions.closest(to: name, in: others).map { "; did you mean step '\($0)'?" } ?? ""
                c.schemaError("step '\(name)' has no 'kind' (one of \(kinds.joined(separator: ", ")))\(typo)", v); continue
            }
            guard let kind = c.check(kindNode, .choice(kinds), "kind of step '\(name)'")?.stringValue,
                  let kindType = StepKindCatalog.shared.stepKind(kind) else { continue }
            let spec = kindType.spec
            guard var settings = c.record(v, spec.settings, "step '\(name)' (\(kind))", extraKeys: ["kind"]) else { continue }
            // A path's default is relative to the manifest that writes the step, as a written path would be.
            for setting in spec.settings where v[setting.name] == nil {
                if case .path = setting.type, let d = settings[setting.name]?.stringValue {
                    settings[setting.name] = .string(ManifestPaths.resolve(d, from: k.location))
                }
            }
            if spec.setting(named: "lr_attention") != nil, settings["lr_attention"] == nil, let lr = settings["lr"] {
                settings["lr_attention"] = lr
            }
            // The record is complete (defaults filled): decoding it fails only on a bug in the kind's spec.
            let decoded = try kindType.decodeStep(StepRecord(step: name, kind: kind, values: settings))
            if let loop = decoded.training, loop.batch % loop.microBatch != 0 {
                let (micro, batch) = (loop.microBatch, loop.batch)
                let divisors = (1...batch).filter { batch % $0 == 0 && $0 <= micro }
                c.bag.error("micro_batch \(micro) does not divide batch \(batch) of step '\(name)'; try \(divisors.last ?? 1)",
                            at: (v["micro_batch"] ?? v).location, .range)
            }
            if let loop = decoded.training,
               loop.microBatch.multipliedReportingOverflow(by: loop.seqLen).partialValue > MemoryEstimate.maxTokensPerPass {
                let (perPass, seqLen) = (loop.microBatch, loop.seqLen)
                let blamed = v["micro_batch"] ?? v["batch"] ?? v["seq_len"] ?? v
                let what = loop.microBatchSet ? "micro_batch" : "batch"
                c.bag.error("step '\(name)' would pass \(what) \(perPass) x seq_len \(seqLen) = \(Units.count(perPass * seqLen)) tokens "
                            + "through the model at once; at most \(Units.count(MemoryEstimate.maxTokensPerPass)) tokens fit in memory "
                            + "(\(MemoryEstimate.advice(microBatchSet: loop.microBatchSet, checkpointingHelps: false)))",
                            at: blamed.location, .range)
            }
            for p in decoded.problems {
                c.rangeError("'\(p.setting)' in step '\(name)' (\(kind)): \(p.message)", v[p.setting] ?? v)
            }
            let written = Dictionary((v.mappingPairs ?? []).map { ($0.key.scalarText ?? "", $0.value.location) }, uniquingKeysWith: { a, _ in a })
            out.append(Manifest.Step(name: name, kind: kind, settings: settings, location: k.location, settingLocations: written,
                                     decoded: decoded))
        }
        return out
    }

    static func valueType(_ k: ArchitectureOption.Kind) -> ValueType {
        switch k {
        case .bool: return .bool
        case .choice(let c): return .choice(c)
        case .int(let max): return .int(min: 0, max: Int64(max))
        case .intOrAuto(let max): return .intOrAuto(max: Int64(max))
        case .layerCountOrAuto(let max): return .layerCountOrAuto(max: Int64(max))
        }
    }

    static func canonical(_ v: ArchitectureOption.Value) -> CanonicalValue {
        switch v {
        case .bool(let b): return .bool(b)
        case .word(let w): return .string(w)
        case .int(let i): return .int(Int64(i))
        case .auto: return .string("auto")
        }
    }

    /// The merged manifest as JSON: plain scalars typed as YAML 1.2 core reads them (what the JSON Schema sees).
    public static func json(_ node: YamlNode) -> CanonicalValue {
        switch node.value {
        case .scalar(let text, let plain):
            switch ScalarValue.resolve(text, plain: plain) {
            case .null: return .null
            case .bool(let b): return .bool(b)
            case .int(let i): return .int(i)
            case .hugeInt(let s): return .double(Double(s) ?? .infinity)
            case .float(let d): return .double(d)
            case .string(let s): return .string(s)
            }
        case .sequence(let items): return .array(items.map(json))
        case .mapping(let pairs):
            var o: [String: CanonicalValue] = [:]
            for (k, v) in pairs { o[k.scalarText ?? ""] = json(v) }
            return .object(o)
        }
    }
}
