import RadOps

/// A GGUF file seen with HF tensor names and layouts. llama.cpp's converter renames tensors and, for
/// llama, permutes the rows of q/k projections (weights and biases) into its interleaved-RoPE order;
/// both are undone here so model code never sees GGUF conventions. Qwen2 GGUFs are not permuted.
public final class GGUFWeights: WeightSource {
    public let gguf: GGUFFile
    /// HF name -> GGUF name.
    public let ggufName: [String: String]
    let permuteHeads: [String: Int]
    /// True for llama / qwen2 files, whose names and layouts are converted to HF's.
    public let mapsToHF: Bool

    public convenience init(path: String) throws { try self.init(file: GGUFFile(path: path)) }

    public init(file: GGUFFile) throws {
        gguf = file
        let arch = file.architecture ?? ""
        // Other architectures keep their GGUF names (inspect can still describe them; building a
        // model from them fails in TransformerConfig.fromGGUF, naming general.architecture).
        mapsToHF = arch == "llama" || arch == "qwen2"
        var map: [String: String] = [:]
        var permute: [String: Int] = [:]
        let heads = file.metadata["\(arch).attention.head_count"]?.intValue
        let kvHeads = file.metadata["\(arch).attention.head_count_kv"]?.intValue ?? heads
        for info in file.tensorInfos {
            let hf = mapsToHF ? Self.hfName(info.name) : info.name
            guard map.updateValue(info.name, forKey: hf) == nil else {
                throw TensorFileError(file: file.path, tensor: info.name, "maps to HF name \(hf) twice")
            }
            if arch == "llama" {
                let isQ = info.name.hasSuffix(".attn_q.weight") || info.name.hasSuffix(".attn_q.bias")
                let isK = info.name.hasSuffix(".attn_k.weight") || info.name.hasSuffix(".attn_k.bias")
                if isQ || isK {
                    guard let n = isQ ? heads : kvHeads, n > 0, info.shape[0] % (2 * n) == 0 else {
                        throw TensorFileError(file: file.path, tensor: info.name,
                                              "cannot undo the q/k row permutation: \(arch).attention.head_count(_kv) missing or not dividing \(info.shape[0]) rows")
                    }
                    permute[hf] = n
                }
            }
        }
        ggufName = map
        permuteHeads = permute
    }

    /// llama.cpp tensor name -> HF name (unknown names are kept as they are).
    public static func hfName(_ name: String) -> String {
        let top: [String: String] = ["token_embd": "model.embed_tokens", "output_norm": "model.norm", "output": "lm_head"]
        let block: [String: String] = [
            "attn_norm": "input_layernorm", "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj",
            "attn_v": "self_attn.v_proj", "attn_output": "self_attn.o_proj", "ffn_norm": "post_attention_layernorm",
            "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj", "ffn_down": "mlp.down_proj",
        ]
        let parts = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        if parts.count == 2, let t = top[parts[0]] { return "\(t).\(parts[1])" }
        if parts.count == 4, parts[0] == "blk", Int(parts[1]) != nil, let b = block[parts[2]] {
            return "model.layers.\(parts[1]).\(b).\(parts[3])"
        }
        return name
    }

    public var origin: String { gguf.path }
    public var tensorNames: [String] { ggufName.keys.sorted() }
    public func shape(_ name: String) -> [Int]? { ggufName[name].flatMap { gguf.tensorsByName[$0]?.shape } }
    public func storageType(_ name: String) -> String? { ggufName[name].flatMap { gguf.tensorsByName[$0]?.type.name } }

    public func load(_ name: String) throws -> Tensor {
        guard let g = ggufName[name] else { throw TensorFileError(file: gguf.path, tensor: name, "no such tensor") }
        let t = try gguf.loadRaw(g)
        t.name = name
        guard let heads = permuteHeads[name] else { return t }
        let out = Tensor(zeros: t.shape)
        out.name = name
        Self.unpermuteRows(t.data, into: out.data, rows: t.shape[0], cols: t.count / t.shape[0], heads: heads)
        return out
    }

    /// Undoes llama.cpp's q/k permutation: view [rows, cols] as [heads, rows/heads/2, 2, cols] and
    /// swap axes 1 and 2. Row (h, i, j) of the GGUF layout, i < half, j < 2, is HF row (h, j, i).
    public static func unpermuteRows(_ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>,
                                     rows: Int, cols: Int, heads: Int) {
        let half = rows / heads / 2
        for h in 0..<heads {
            for i in 0..<half {
                for j in 0..<2 {
                    let from = (h * half * 2) + i * 2 + j
                    let to = (h * half * 2) + j * half + i
                    (dst + to * cols).update(from: src + from * cols, count: cols)
                }
            }
        }
    }
}
