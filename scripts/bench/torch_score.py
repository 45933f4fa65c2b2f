#!/usr/bin/env python3
"""PyTorch eager + HF transformers peer of `rad score` for the SmolLM2-135M teacher (the GGUF dequantised to
fp32): the text is cut into consecutive windows of --seq-len tokens, full windows are scored --batch at a
time (the ragged tail alone), and every token after a window's first is predicted from those before it,
as rad's Scorer does. Loading and tokenisation are excluded from the time; the scoring loop (forward,
log-softmax, gather, sum) is what is timed. Prints one JSON object: tokens, nll, seconds, tokens_per_s
(input tokens per second of the loop).

    /work/pyenv/bin/python scripts/bench/torch_score.py --text FILE --threads 2
"""
import argparse, json, os, tempfile, time
import torch
import torch.nn.functional as F
from transformers import AutoModelForCausalLM, AutoTokenizer

ap = argparse.ArgumentParser()
ap.add_argument("--text", required=True)
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--seq-len", type=int, default=512)
ap.add_argument("--batch", type=int, default=4)
ap.add_argument("--gguf-dir", default=os.path.join(os.path.dirname(__file__), "..", "..", "assets", "smollm2"))
args = ap.parse_args()
torch.set_num_threads(args.threads)
GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"

tok = AutoTokenizer.from_pretrained(args.gguf_dir, gguf_file=GGUF)
# transformers' GGUF conversion gives a plain ByteLevel pre-tokenizer; SmolLM2 splits digits first
# (shared/docs/assets.md), as rad's tokenizer does: patch it so both score the same ids.
with tempfile.TemporaryDirectory() as d:
    tok.save_pretrained(d)
    p = os.path.join(d, "tokenizer.json")
    j = json.load(open(p))
    j["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [
        {"type": "Digits", "individual_digits": True},
        {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}]}
    json.dump(j, open(p, "w"))
    tok = AutoTokenizer.from_pretrained(d)
model = AutoModelForCausalLM.from_pretrained(args.gguf_dir, gguf_file=GGUF, dtype=torch.float32).eval()
ids = tok(open(args.text, encoding="utf-8").read(), add_special_tokens=False)["input_ids"]

windows = [ids[s:s + args.seq_len] for s in range(0, len(ids), args.seq_len)]
windows = [w for w in windows if len(w) >= 2]
start = time.perf_counter()
total, count, i = 0.0, 0, 0
with torch.no_grad():
    while i < len(windows):
        group = [windows[i]]
        while len(group) < args.batch and i + len(group) < len(windows) and len(windows[i + len(group)]) == len(windows[i]):
            group.append(windows[i + len(group)])
        x = torch.tensor(group)
        logits = model(x).logits[:, :-1]
        total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), x[:, 1:].reshape(-1), reduction="sum").item()
        count += x.shape[0] * (x.shape[1] - 1)
        i += len(group)
seconds = time.perf_counter() - start
print(json.dumps({"threads": args.threads, "torch": torch.__version__, "tokens": count, "input_tokens": len(ids),
                  "nll": total / count, "seconds": seconds, "tokens_per_s": len(ids) / seconds}))
