import FuzzSupport
import RadPipeline

/// Loads the input as a pipeline manifest through the one public entry point (`ManifestLoader`: YAML
/// parse, `extends`, `vars`, validation, graph checks) and renders the diagnostics of a failure.
/// The environment is empty so that `${env:...}` is deterministic. Diagnostics are the expected
/// answer to garbage; only a trap or a sanitizer report is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let path = ScratchFile.write(data, size, name: "manifest.yaml")
    do {
        _ = try ManifestLoader.load(path, environment: [:])
    } catch let failure as ManifestLoader.Failure {
        _ = failure.rendered
    } catch {}
    return 0
}
