import FuzzSupport
import RadModelZoo

/// Loads the input as an HF tokenizer.json, then encodes and decodes a short text that touches the
/// pre-tokeniser's classes (letters, digits, punctuation, spaces, non-ASCII). A thrown
/// `TokenizerError` is the expected answer to garbage; only a trap or a sanitizer report is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let path = ScratchFile.write(data, size, name: "tokenizer.json")
    guard let tokenizer = try? BPETokenizer.load(tokenizerJSON: path) else { return 0 }
    let ids = tokenizer.encode("Hello, world!  It's 2024: naïve café <|endoftext|>\n\tdone")
    _ = tokenizer.decode(ids)
    _ = tokenizer.decode(ids, skipSpecial: true)
    return 0
}
