import Foundation

/// Reads manifest files, applies `extends:` (deep merge), `vars:` interpolation and `-s` overrides, giving
/// one YAML tree whose nodes still point at the file (or override) that wrote them.
///
/// Interpolation: `${name}` is replaced by the scalar `vars.name` (vars may use earlier vars);
/// `${env:NAME}` by the environment variable NAME (an error if it is unset). A scalar that is exactly one
/// `${...}` takes the variable's type (`seed: ${seed}` stays a number); inside a longer string the
/// variable's text is spliced in. `$${` writes a literal `${`.
public struct ManifestSource {
    public var environment: [String: String]
    public let parser = YamlParser()
    /// Every text read, by display name, for rendering diagnostics.
    public private(set) var texts: [String: String] = [:]

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) { self.environment = environment }

    public static let maxExtendsDepth = 16

    /// Loads `file` with its bases merged in, then applies overrides. Throws `ManifestErrors`.
    public mutating func load(_ file: String, overrides: [String] = []) throws -> YamlNode {
        var root = try loadMerged(file, chain: [])
        let bag = DiagnosticBag()
        // Overrides first, so that `-s vars.teacher=PATH` changes every use of the variable.
        for (i, o) in overrides.enumerated() { root = apply(override: o, index: i, to: root, bag: bag) }
        root = interpolate(root, bag: bag)
        if !bag.isEmpty { throw ManifestErrors(bag.sorted) }
        return root
    }

    mutating func read(_ file: String, at: SourceLocation?) throws -> String {
        func refuse(_ why: String) -> ManifestErrors { ManifestErrors([Diagnostic("manifest '\(file)' \(why)", at: at, category: .io)]) }
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: file, isDirectory: &isDir) else { throw refuse("does not exist") }
        guard !isDir.boolValue else { throw refuse("is a directory") }
        // The size first, and never more than the cap read: a huge file is neither held nor echoed. Reading
        // at most one byte past the cap also catches what stat cannot size (a pipe, /dev/zero).
        let cap = ManifestLimits.maxFileBytes
        let statSize = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? nil
        if let statSize, statSize > cap { throw refuse(Self.tooLarge(statSize)) }
        guard let handle = FileHandle(forReadingAtPath: file), let read = try? handle.read(upToCount: cap + 1) else {
            throw refuse("cannot be read")
        }
        try? handle.close()
        let data = read ?? Data()
        guard data.count <= cap else { throw refuse(Self.tooLarge(nil)) }
        guard let text = String(data: data, encoding: .utf8) else {
            texts[file] = String(decoding: data, as: UTF8.self)
            throw ManifestErrors([Diagnostic("file is not UTF-8 text (binary data?)", at: SourceLocation(file: file, line: 1, column: 1), category: .syntax)])
        }
        texts[file] = text
        return text
    }

    mutating func loadMerged(_ file: String, chain: [String], from: SourceLocation? = nil) throws -> YamlNode {
        let canonical = ((Self.absolute(file) as NSString).resolvingSymlinksInPath as NSString).standardizingPath
        if chain.contains(canonical) {
            throw ManifestErrors([Diagnostic("'extends' cycle: \((chain + [canonical]).map { URL(fileURLWithPath: $0).lastPathComponent }.joined(separator: " -> "))", at: from, category: .reference)])
        }
        guard chain.count < Self.maxExtendsDepth else {
            throw ManifestErrors([Diagnostic("'extends' chain longer than \(Self.maxExtendsDepth) files", at: from, category: .reference)])
        }
        let shown = Self.display(file)
        let text = try read(shown, at: from)
        let node = try parser.parse(text, file: shown)
        guard let pairs = node.mappingPairs else {
            throw ManifestErrors([Diagnostic("a manifest must be a mapping of keys (name, teacher, steps, ...), found \(node.kindName)", at: node.location, category: .schema)])
        }
        guard let ext = node["extends"] else { return node }
        guard case .scalar(let basePath, _) = ext.value, !basePath.isEmpty else {
            throw ManifestErrors([Diagnostic("'extends' must be the path of a base manifest, found \(ext.kindName)", at: ext.location, category: .schema)])
        }
        let resolved = ManifestPaths.resolve(basePath, from: ext.location)
        let base = try loadMerged(resolved, chain: chain + [canonical], from: ext.location)
        let own = YamlNode(.mapping(pairs.filter { $0.key.scalarText != "extends" }), at: node.location)
        return Self.merge(base: base, over: own)
    }

    static func tooLarge(_ bytes: Int?) -> String {
        let cap = Units.bytes(Int64(ManifestLimits.maxFileBytes))
        guard let bytes else { return "is larger than \(cap), the most a manifest may be" }
        return "is \(Units.bytes(Int64(bytes))); a manifest may be at most \(cap)"
    }

    static func absolute(_ file: String) -> String {
        file.hasPrefix("/") ? file : FileManager.default.currentDirectoryPath + "/" + file
    }

    /// A path as diagnostics show it: relative to the working directory when it lies below it.
    static func display(_ file: String) -> String {
        let cwd = FileManager.default.currentDirectoryPath + "/"
        let abs = (absolute(file) as NSString).standardizingPath
        return abs.hasPrefix(cwd) ? String(abs.dropFirst(cwd.count)) : file
    }

    /// Deep merge: mappings merge key by key (the extending file wins); anything else is replaced whole.
    public static func merge(base: YamlNode, over: YamlNode) -> YamlNode {
        guard let b = base.mappingPairs, let o = over.mappingPairs else { return over }
        var pairs = b
        for (k, v) in o {
            if let i = pairs.firstIndex(where: { $0.key.scalarText == k.scalarText }) {
                pairs[i] = (k, merge(base: pairs[i].value, over: v))
            } else {
                pairs.append((k, v))
            }
        }
        return YamlNode(.mapping(pairs), at: over.location)
    }

    // MARK: variables

    func interpolate(_ root: YamlNode, bag: DiagnosticBag) -> YamlNode {
        let budget = InterpolationBudget()
        var vars: [String: YamlNode] = [:]
        if let v = root["vars"] {
            if let pairs = v.mappingPairs {
                for (k, value) in pairs {
                    // A broken variable is reported once, at its definition; its uses are left as written.
                    let poisoned = YamlNode(.sequence([]), at: value.location)
                    guard value.scalarText != nil else {
                        bag.error("variable '\(k.scalarText ?? "")' must be a scalar, found \(value.kindName)", at: value.location, .schema)
                        vars[k.scalarText ?? ""] = poisoned; continue
                    }
                    if case .scalar(let t, let plain) = value.value, ScalarValue.resolve(t, plain: plain) == .null {
                        bag.error("variable '\(k.scalarText ?? "")' has no value", at: value.location, .schema)
                        vars[k.scalarText ?? ""] = poisoned; continue
                    }
                    // Later variables may use earlier ones; one that cannot be built is broken too (so a
                    // chain of variables stops growing at the first one past the size cap).
                    vars[k.scalarText ?? ""] = substitute(value, vars: vars, bag: bag, budget: budget) ?? poisoned
                }
            } else {
                bag.error("'vars' must be a mapping of names to values, found \(v.kindName)", at: v.location, .schema)
            }
        }
        return walk(root, vars: vars, bag: bag, budget: budget)
    }

    func walk(_ node: YamlNode, vars: [String: YamlNode], bag: DiagnosticBag, budget: InterpolationBudget) -> YamlNode {
        switch node.value {
        case .scalar: return substitute(node, vars: vars, bag: bag, budget: budget) ?? node
        case .sequence(let items): return YamlNode(.sequence(items.map { walk($0, vars: vars, bag: bag, budget: budget) }), at: node.location)
        case .mapping(let pairs):
            return YamlNode(.mapping(pairs.map { k, v in
                (k, walk(v, vars: vars, bag: bag, budget: budget))
            }), at: node.location)
        }
    }

    /// The scalar with its `${...}` replaced; nil (after reporting why, or when it uses a broken variable)
    /// when it cannot be built.
    func substitute(_ node: YamlNode, vars: [String: YamlNode], bag: DiagnosticBag, budget: InterpolationBudget) -> YamlNode? {
        guard case .scalar(let text, let plain) = node.value, text.contains("${") else { return node }
        var out = ""
        var rest = Substring(text)
        var whole: YamlNode? = nil
        var pieces = 0
        var lastName = ""
        while let r = rest.range(of: "${") {
            if r.lowerBound > rest.startIndex, rest[rest.index(before: r.lowerBound)] == "$" {
                out += rest[..<rest.index(before: r.lowerBound)] + "${"
                rest = rest[r.upperBound...]
                continue
            }
            out += rest[..<r.lowerBound]
            guard let close = rest[r.upperBound...].firstIndex(of: "}") else {
                bag.error("unterminated '${' in '\(text.prefix(80))'", at: node.location, .reference); return nil
            }
            let name = String(rest[r.upperBound..<close])
            let value: String
            if name.hasPrefix("env:") {
                let env = String(name.dropFirst(4))
                guard let v = environment[env] else {
                    bag.error("environment variable '\(env)' is not set (used as ${\(name)})", at: node.location, .reference); return nil
                }
                value = v
                whole = YamlNode(.scalar(v, plain: false), at: node.location)
            } else if let v = vars[name] {
                guard let t = v.scalarText else { return nil } // a broken variable, already reported
                value = t
                whole = v
            } else {
                bag.error("unknown variable '\(name)'\(Suggestions.didYouMean(name, Array(vars.keys)))", at: node.location, .reference); return nil
            }
            // Checked before the text is built: the size is known from the parts.
            let size = out.utf8.count + value.utf8.count + rest[rest.index(after: close)...].utf8.count
            if size > ManifestLimits.maxInterpolatedScalarBytes {
                bag.error("interpolating ${\(name)} here makes a value longer than \(Units.bytes(Int64(ManifestLimits.maxInterpolatedScalarBytes))), "
                          + "the most an interpolated value may be", at: node.location, .range)
                return nil
            }
            out += value
            pieces += 1
            lastName = name
            rest = rest[rest.index(after: close)...]
        }
        out += rest
        if pieces == 1, let w = whole, text == "${\(lastName)}" {
            // The scalar was exactly one variable: keep the variable's type, report at the use.
            return YamlNode(w.value, at: node.location)
        }
        guard budget.spend(out.utf8.count) else {
            if !budget.reported {
                budget.reported = true
                bag.error("interpolation builds more than \(Units.bytes(Int64(ManifestLimits.maxInterpolatedTotalBytes))) of text in all "
                          + "(a large variable used many times?); stopped here", at: node.location, .range)
            }
            return nil
        }
        return YamlNode(.scalar(out, plain: plain), at: node.location)
    }

    // MARK: overrides

    /// `-s steps.distill.lr=2e-5`: the value is parsed as YAML (so `-s 'student.options={rope: true}'` works),
    /// and its nodes point at the override text so that errors name it.
    mutating func apply(override: String, index: Int, to root: YamlNode, bag: DiagnosticBag) -> YamlNode {
        guard override.utf8.count <= ManifestLimits.maxOverrideBytes else {
            // Named by its start only: the text itself is what is too large to show.
            bag.error("override '-s \(override.prefix(40))…' is \(Units.bytes(Int64(override.utf8.count))); an override may be at most "
                      + "\(Units.bytes(Int64(ManifestLimits.maxOverrideBytes)))", at: nil, .override)
            return root
        }
        let display = "-s \(override)"
        texts[display] = override
        let at = SourceLocation(file: display, line: 1, column: 1)
        guard let eq = override.firstIndex(of: "=") else {
            bag.error("override must be PATH=VALUE, like steps.distill.lr=2e-5", at: at, .override); return root
        }
        let path = override[..<eq].split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !path.isEmpty, path.allSatisfy({ !$0.isEmpty }) else {
            bag.error("override path '\(override[..<eq])' is empty or has an empty part", at: at, .override); return root
        }
        let valueText = String(override[override.index(after: eq)...])
        let valueColumn = override.distance(from: override.startIndex, to: eq) + 2
        var value: YamlNode
        do {
            value = try parser.parse(valueText.isEmpty ? "''" : valueText, file: display)
        } catch let e as ManifestErrors {
            bag.append(contentsOf: e.diagnostics.map {
                var d = $0; d.location?.column += valueColumn - 1; d.category = .override; return d
            })
            return root
        } catch { return root }
        value = Self.shift(value, columns: valueColumn - 1)
        let keyNode = YamlNode(.scalar(path.last!, plain: true), at: at)
        return set(path[...], value: value, key: keyNode, in: root, bag: bag, display: display)
    }

    static func shift(_ node: YamlNode, columns: Int) -> YamlNode {
        var loc = node.location
        if loc.line == 1 { loc.column += columns }
        switch node.value {
        case .scalar: return YamlNode(node.value, at: loc)
        case .sequence(let items): return YamlNode(.sequence(items.map { shift($0, columns: columns) }), at: loc)
        case .mapping(let pairs): return YamlNode(.mapping(pairs.map { (shift($0.key, columns: columns), shift($0.value, columns: columns)) }), at: loc)
        }
    }

    func set(_ path: ArraySlice<String>, value: YamlNode, key: YamlNode, in node: YamlNode, bag: DiagnosticBag, display: String) -> YamlNode {
        guard let first = path.first else { return value }
        guard var pairs = node.mappingPairs else {
            bag.error("override '\(display.dropFirst(3))' goes inside \(node.kindName), which has no keys", at: key.location, .override)
            return node
        }
        if let i = pairs.firstIndex(where: { $0.key.scalarText == first }) {
            if path.count == 1, value.scalarText != nil, let record = pairs[i].value.mappingPairs,
               record.contains(where: { $0.key.scalarText == "init" }) {
                // A scalar for a record setting (`-s steps.distill.lr=2e-5` where the manifest has
                // `lr: {init: .., warmup_steps: ..}`) sets its `init` and keeps the rest; replacing the
                // record would silently bring back every other field's default.
                pairs[i].value = set(["init"], value: value, key: key, in: pairs[i].value, bag: bag, display: display)
            } else if path.count == 1 { pairs[i] = (YamlNode(.scalar(first, plain: true), at: key.location), value) }
            else { pairs[i].value = set(path.dropFirst(), value: value, key: key, in: pairs[i].value, bag: bag, display: display) }
        } else {
            let fresh = path.count == 1 ? value : set(path.dropFirst(), value: value, key: key, in: YamlNode(.mapping([]), at: key.location), bag: bag, display: display)
            pairs.append((YamlNode(.scalar(first, plain: true), at: key.location), fresh))
        }
        return YamlNode(.mapping(pairs), at: node.location)
    }
}
