import FuzzSupport
import RadOps

/// Parses the input as a safetensors file and loads every tensor it declares. A thrown
/// `TensorFileError` is the expected answer to garbage; only a trap or a sanitizer report is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let path = ScratchFile.write(data, size, name: "input.safetensors")
    guard let file = try? SafetensorsFile(path: path) else { return 0 }
    for name in file.tensorNames { _ = try? file.load(name) }
    return 0
}
