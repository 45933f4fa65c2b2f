import Testing
import RadModelZoo

/// The manifest validator's catalog (descriptors) and the implementations must agree: every
/// architecture a manifest may name exists, and accepts every option the catalog lists at its default.
@Suite struct ArchitectureCatalogTests {
    @Test func catalogAndImplementationsAgree() throws {
        #expect(Set(ArchitectureCatalog.names) == Set(StudentArchitectures.names))
        for descriptor in ArchitectureCatalog.all {
            var options: [String: OptionValue] = [:]
            for option in descriptor.options where option.name != "softmax_layers" {
                switch option.defaultValue {
                case .bool(let b): options[option.name] = .bool(b)
                case .word(let w): options[option.name] = .string(w)
                case .int(let i): options[option.name] = .int(Int(i))
                case .auto: options[option.name] = .string("auto")
                }
            }
            let architecture = try StudentArchitectures.make(descriptor.name, options: options)
            #expect(architecture.name == descriptor.name)
        }
    }
}
