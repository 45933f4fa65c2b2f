import Foundation
import Testing
import RadPipeline

/// `schemas/manifest.schema.json` is generated from the validator's own tables (`rad validate
/// --print-schema`). These tests hold the two together:
/// 1. the committed file equals the generated schema (no drift, no hand edits);
/// 2. an independent checker of the JSON Schema keywords the file uses (below) accepts every manifest in
///    `pipelines/` and, on the bad corpus, rejects exactly the manifests for which the validator reports a
///    `schema`-category error (unknown key, wrong type, word not allowed, missing key). Range checks and
///    references between steps are beyond what the schema states and are left to the validator; files that
///    do not even parse or resolve (YAML syntax, extends, variables) have no document to check.
@Suite struct SchemaAgreementTests {
    static let schemaURL = Paths.repo.appendingPathComponent("schemas/manifest.schema.json")

    @Test func committedSchemaIsTheGeneratedOne() throws {
        let committed = try JSONReader.parse(try Data(contentsOf: Self.schemaURL))
        // Compared as canonical text (JSON does not keep 1 and 1.0 apart).
        #expect(committed.canonicalJSON == JSONSchemaGenerator.schema().canonicalJSON,
                "regenerate: rad validate --print-schema > schemas/manifest.schema.json")
    }

    @Test func schemaAcceptsEveryPipeline() throws {
        let schema = try JSONReader.parse(try Data(contentsOf: Self.schemaURL))
        for f in Paths.pipelineManifests {
            let m = try ManifestLoader.load(f)
            let errors = SchemaChecker(root: schema).validate(m.resolved)
            #expect(errors.isEmpty, "\(f): \(errors)")
        }
    }

    @Test func schemaAndValidatorAgreeOnTheBadCorpus() throws {
        let schema = try JSONReader.parse(try Data(contentsOf: Self.schemaURL))
        var compared = 0
        for f in Paths.badManifests {
            var source = ManifestSource(environment: [:])
            guard let tree = try? source.load(f) else { continue } // no document to check
            let validator = diagnostics(f)
            let schemaRejects = !SchemaChecker(root: schema).validate(ManifestValidator.json(tree)).isEmpty
            let validatorSchemaErrors = validator.filter { $0.category == .schema }
            #expect(schemaRejects == !validatorSchemaErrors.isEmpty,
                    "\(URL(fileURLWithPath: f).lastPathComponent): schema \(schemaRejects ? "rejects" : "accepts"), validator says \(validator.map(\.description))")
            compared += 1
        }
        #expect(compared >= 40)
    }

    @Test func checkerSeesTypicalMistakes() throws {
        let schema = try JSONReader.parse(try Data(contentsOf: Self.schemaURL))
        let ok = try ManifestLoader.load(Paths.pipelines.appendingPathComponent("quickstart.yaml").path).resolved
        #expect(SchemaChecker(root: schema).validate(ok).isEmpty)
        var bad = ok.objectValue!
        bad["stpes"] = .object([:])
        #expect(!SchemaChecker(root: schema).validate(.object(bad)).isEmpty)
    }
}

/// A checker for the JSON Schema (2020-12) keywords that `manifest.schema.json` uses: type, enum, const,
/// pattern, properties, additionalProperties, required, propertyNames, minProperties, items, anyOf,
/// oneOf, $ref (local `#/$defs/...`). Annotations (description, default) are ignored.
struct SchemaChecker {
    let root: CanonicalValue

    func validate(_ v: CanonicalValue) -> [String] { check(v, root, "$") }

    func check(_ v: CanonicalValue, _ s: CanonicalValue, _ path: String) -> [String] {
        guard case .object(let k) = s else { return [] }
        var errors: [String] = []
        if let ref = k["$ref"]?.stringValue {
            let name = String(ref.dropFirst("#/$defs/".count))
            guard let target = root["$defs"]?[name] else { return ["\(path): unresolved \(ref)"] }
            errors += check(v, target, path)
        }
        if let t = k["type"] {
            let types = t.arrayValue?.compactMap(\.stringValue) ?? [t.stringValue!]
            if !types.contains(where: { Self.isType(v, $0) }) { errors.append("\(path): not \(types)") }
        }
        if let e = k["enum"]?.arrayValue, !e.contains(v) { errors.append("\(path): not in enum") }
        if let c = k["const"], c != v { errors.append("\(path): not \(c)") }
        if let p = k["pattern"]?.stringValue, case .string(let str) = v,
           str.range(of: p, options: .regularExpression) == nil { errors.append("\(path): does not match \(p)") }
        if case .object(let o) = v {
            let props = k["properties"]?.objectValue ?? [:]
            for (key, value) in o {
                if let ps = props[key] { errors += check(value, ps, path + "." + key) }
                else if let ap = k["additionalProperties"] {
                    if ap == .bool(false) { errors.append("\(path): unknown key \(key)") }
                    else { errors += check(value, ap, path + "." + key) }
                }
                if let pn = k["propertyNames"] { errors += check(.string(key), pn, path + "." + key) }
            }
            for r in k["required"]?.arrayValue ?? [] where o[r.stringValue!] == nil { errors.append("\(path): missing \(r.stringValue!)") }
            if let m = k["minProperties"]?.intValue, o.count < m { errors.append("\(path): fewer than \(m) keys") }
        }
        if case .array(let a) = v, let items = k["items"] {
            for (i, x) in a.enumerated() { errors += check(x, items, "\(path)[\(i)]") }
        }
        if let any = k["anyOf"]?.arrayValue, !any.contains(where: { check(v, $0, path).isEmpty }) { errors.append("\(path): matches no anyOf branch") }
        if let one = k["oneOf"]?.arrayValue, one.filter({ check(v, $0, path).isEmpty }).count != 1 { errors.append("\(path): does not match exactly one oneOf branch") }
        return errors
    }

    static func isType(_ v: CanonicalValue, _ t: String) -> Bool {
        switch (t, v) {
        case ("object", .object), ("array", .array), ("string", .string), ("boolean", .bool), ("null", .null): return true
        case ("number", .int), ("number", .double): return true
        case ("integer", .int): return true
        case ("integer", .double(let d)): return d == d.rounded()
        default: return false
        }
    }
}
