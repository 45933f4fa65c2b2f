import FuzzSupport
import RadModelZoo
import RadOps

/// Parses the input as a GGUF file, dequantises every tensor it declares and reads the tokenizer in
/// its metadata. Thrown errors are the expected answer to garbage; only a trap or a sanitizer report
/// is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let path = ScratchFile.write(data, size, name: "input.gguf")
    guard let file = try? GGUFFile(path: path) else { return 0 }
    for info in file.tensorInfos { _ = try? file.loadRaw(info.name) }
    if let tokenizer = try? BPETokenizer.load(gguf: file) {
        _ = tokenizer.decode(tokenizer.encode("Hello, world! 123"))
    }
    return 0
}
