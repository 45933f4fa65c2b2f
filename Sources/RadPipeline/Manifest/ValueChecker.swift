import Foundation

/// Checks YAML nodes against `ValueType`s, filling defaults and reporting every problem into a bag.
/// Returns nil for a value that is wrong (after reporting why), so that checking carries on around it.
struct ValueChecker {
    let bag: DiagnosticBag

    func schemaError(_ message: String, _ node: YamlNode) { bag.error(message, at: node.location, .schema) }
    func rangeError(_ message: String, _ node: YamlNode) { bag.error(message, at: node.location, .range) }

    func scalar(_ node: YamlNode) -> ScalarValue? {
        guard case .scalar(let text, let plain) = node.value else { return nil }
        return ScalarValue.resolve(text, plain: plain)
    }

    func check(_ node: YamlNode, _ type: ValueType, _ what: String) -> CanonicalValue? {
        switch type {
        case .bool:
            if case .bool(let b)? = scalar(node) { return .bool(b) }
            schemaError("\(what) must be true or false, found \(found(node))", node)
        case .int(let lo, let hi):
            switch scalar(node) {
            case .int(let v)?:
                if v < lo || v > hi { rangeError("\(what) must be between \(lo) and \(hi), found \(v)", node); return nil }
                return .int(v)
            case .float(let d)? where d.isFinite && d == d.rounded():
                // Int64(exactly:), not a comparison with Double(hi): Double(Int64.max) rounds up to 2^63,
                // so `seed: 9223372036854775808.0` passed that check and trapped converting.
                guard let v = Int64(exactly: d), v >= lo, v <= hi else { rangeError("\(what) must be between \(lo) and \(hi), found \(d)", node); return nil }
                return .int(v)
            case .hugeInt?, .float(.infinity)?, .float(-.infinity)?:
                rangeError("\(what) is too large (at most \(hi))", node)
            default:
                schemaError("\(what) must be a whole number, found \(found(node))", node)
            }
        case .size(let lo):
            var outcome: SizeParser.Outcome
            switch scalar(node) {
            case .int(let v)?: outcome = .value(v)
            case .hugeInt?: outcome = .tooLarge
            case .float(let d)?:
                if !d.isFinite || abs(d) >= 9e15 { outcome = .tooLarge } else if d == d.rounded() { outcome = .value(Int64(d)) }
                else { schemaError("\(what) must be a whole count like 100M, 2.5k or 1_000_000, found \(found(node))", node); return nil }
            case .string(let s)?: outcome = SizeParser.parse(s)
            default: outcome = .notASize
            }
            switch outcome {
            case .value(let v):
                if v < lo { rangeError("\(what) must be at least \(lo), found \(v)", node); return nil }
                return .int(v)
            case .notASize: schemaError("\(what) must be a count like 100M, 2.5k or 1_000_000, found \(found(node))", node)
            case .notWhole: rangeError("\(what) must be a whole count, found \(found(node))", node)
            case .tooLarge: rangeError("\(what) is too large (at most 9e15)", node)
            }
        case .number(let lo, let hi):
            let d: Double
            switch scalar(node) {
            case .int(let v)?: d = Double(v)
            case .float(let v)?: d = v
            case .hugeInt?: d = .infinity
            default: schemaError("\(what) must be a number, found \(found(node))", node); return nil
            }
            guard d.isFinite else { rangeError("\(what) must be a finite number, found \(found(node))", node); return nil }
            if let lo, d < lo { rangeError("\(what) must be at least \(lo), found \(d)", node); return nil }
            if let hi, d > hi { rangeError("\(what) must be at most \(hi), found \(d)", node); return nil }
            return .double(d)
        case .string(let pattern):
            guard case .string(let s)? = scalar(node) else { schemaError("\(what) must be a string, found \(found(node))", node); return nil }
            if let pattern, !ScalarValue.matches(s, try! NSRegularExpression(pattern: pattern)) {
                schemaError("\(what) '\(s)' must match \(pattern)", node); return nil
            }
            return .string(s)
        case .path:
            guard case .string(let s)? = scalar(node), !s.isEmpty else { schemaError("\(what) must be a path, found \(found(node))", node); return nil }
            return .string(ManifestPaths.resolve(s, from: node.location))
        case .choice(let allowed):
            guard case .string(let s)? = scalar(node) else {
                schemaError("\(what) must be one of \(allowed.joined(separator: ", ")); found \(found(node))", node); return nil
            }
            guard allowed.contains(s) else {
                schemaError("\(what) '\(s)' is not one of \(allowed.joined(separator: ", "))\(Suggestions.didYouMean(s, allowed))", node); return nil
            }
            return .string(s)
        case .intOrAuto(let hi):
            switch scalar(node) {
            case .string("auto")?: return .string("auto")
            case .int(let v)?:
                guard v >= 1, v <= hi else { rangeError("\(what) must be auto or between 1 and \(hi), found \(v)", node); return nil }
                return .int(v)
            case .hugeInt?: rangeError("\(what) is too large (at most \(hi))", node)
            default: schemaError("\(what) must be auto or a whole number, found \(found(node))", node)
            }
        case .layerCountOrAuto(let hi):
            if let pairs = node.mappingPairs {
                guard pairs.count == 1, pairs[0].key.scalarText == "auto" else {
                    schemaError("\(what) must be a layer count or { auto: K }, found a mapping with keys "
                                + pairs.map { $0.key.scalarText ?? "?" }.joined(separator: ", "), node); return nil
                }
                guard case .int(let k)? = scalar(pairs[0].value), k >= 1, k <= hi else {
                    rangeError("auto in \(what) must be a whole number of layers between 1 and \(hi), found \(found(pairs[0].value))", pairs[0].value)
                    return nil
                }
                return .object(["auto": .int(k)])
            }
            switch scalar(node) {
            case .int(let v)?:
                guard v >= 0, v <= hi else { rangeError("\(what) must be between 0 and \(hi), found \(v)", node); return nil }
                return .int(v)
            case .hugeInt?: rangeError("\(what) is too large (at most \(hi))", node)
            default: schemaError("\(what) must be a layer count or { auto: K }, found \(found(node))", node)
            }
        case .countOrAll(let hi):
            switch scalar(node) {
            case .string("all")?: return .int(0)
            case .int(let v)?:
                guard v >= 0, v <= hi else { rangeError("\(what) must be all or between 0 and \(hi), found \(v)", node); return nil }
                return .int(v)
            case .hugeInt?: rangeError("\(what) is too large (at most \(hi))", node)
            default: schemaError("\(what) must be all or a whole number, found \(found(node))", node)
            }
        case .list(let element, let allowSingle):
            if let items = node.sequenceItems {
                let values = items.enumerated().map { check($0.element, element, "item \($0.offset) of \(what)") }
                return values.contains { $0 == nil } ? nil : .array(values.map { $0! })
            }
            if allowSingle, node.scalarText != nil, let v = check(node, element, what) { return .array([v]) }
            schemaError("\(what) must be a list, found \(node.kindName)", node)
        case .record(_, let fields):
            return record(node, fields, what).map { .object($0) }
        case .learningRate:
            return learningRate(node, what)
        case .stepRef, .modelRef, .dataRef:
            guard case .string(let s)? = scalar(node) else { schemaError("\(what) must name a step, found \(found(node))", node); return nil }
            return .string(s)
        }
        return nil
    }

    func found(_ node: YamlNode) -> String {
        if let s = scalar(node) { return s.described }
        return node.kindName
    }

    /// Checks a mapping against its fields. Unknown keys are errors (with a did-you-mean); `extraKeys` are
    /// keys the caller handles itself.
    func record(_ node: YamlNode, _ fields: [SettingSpec], _ what: String, extraKeys: [String] = []) -> [String: CanonicalValue]? {
        guard let pairs = node.mappingPairs else {
            schemaError("\(what) must be a mapping of settings, found \(found(node))", node); return nil
        }
        var out: [String: CanonicalValue] = [:]
        var ok = true
        let names = fields.map(\.name) + extraKeys
        for (k, v) in pairs {
            let key = k.scalarText ?? ""
            if extraKeys.contains(key) { continue }
            guard let spec = fields.first(where: { $0.name == key }) else {
                schemaError("unknown key '\(key)' in \(what)\(Suggestions.didYouMean(key, names))", k); ok = false; continue
            }
            if let value = check(v, spec.type, "'\(key)' in \(what)") { out[key] = value } else { ok = false }
        }
        for spec in fields where out[spec.name] == nil && !pairs.contains(where: { $0.key.scalarText == spec.name }) {
            if spec.required { schemaError("missing required key '\(spec.name)' in \(what)", node); ok = false }
            else if let d = spec.defaultValue { out[spec.name] = d }
        }
        return ok ? out : nil
    }

    func learningRate(_ node: YamlNode, _ what: String) -> CanonicalValue? {
        if node.scalarText != nil {
            guard let v = check(node, .number(min: 0, max: 1), what) else { return nil }
            return EngineStepKinds.schedule("constant", v.doubleValue!, v.doubleValue!)
        }
        guard node.mappingPairs != nil else {
            schemaError("\(what) must be a number or a schedule mapping, found \(node.kindName)", node); return nil
        }
        guard var r = record(node, LearningRateSchedule.fields, what) else { return nil }
        if r["final"] == nil { r["final"] = r["init"] }
        if r["schedule"] == .string("constant"), r["final"] != r["init"] {
            rangeError("\(what): schedule 'constant' needs final == init (or leave final out); use quarter_cosine, linear or exp to decay", node)
            return nil
        }
        if r["schedule"] == .string("exp"), (r["init"]?.doubleValue ?? 0) <= 0 || (r["final"]?.doubleValue ?? 0) <= 0 {
            rangeError("\(what): schedule 'exp' needs init and final above 0", node); return nil
        }
        if let w = r["wait"]?.doubleValue, let e = r["endpoint"]?.doubleValue, w >= e {
            rangeError("\(what): wait (\(w)) must be below endpoint (\(e))", node); return nil
        }
        return .object(r)
    }
}

/// Paths in a manifest are relative to the file that wrote them (so a base manifest's paths stay right
/// when another file extends it); paths from `-s` overrides are relative to the working directory.
enum ManifestPaths {
    static func resolve(_ path: String, from location: SourceLocation) -> String {
        let expanded = (path as NSString).expandingTildeInPath
        if expanded.hasPrefix("/") { return (expanded as NSString).standardizingPath }
        let cwd = FileManager.default.currentDirectoryPath
        var base = cwd
        if !(location.file.hasPrefix("-s ") || location.file.hasPrefix("<")) {
            let file = location.file.hasPrefix("/") ? location.file : cwd + "/" + location.file
            base = (file as NSString).deletingLastPathComponent
        }
        return ((base as NSString).appendingPathComponent(expanded) as NSString).standardizingPath
    }
}
