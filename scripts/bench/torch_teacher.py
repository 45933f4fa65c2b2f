#!/usr/bin/env python3
"""PyTorch eager + HF transformers peer benchmark for the SmolLM2-135M teacher (the GGUF dequantised
to fp32), on the same machine and thread count as `rad bench --only models`. Prints one JSON object:
forward tokens/s at 4 x 512, forward+backward tokens/s of the cross-entropy loss at 4 x 512 (a
training-speed peer for the students' step; the teacher, since HF has no RAD-RWKV student), and decode
ms/token (KV cache, batch 1) after prompts of 128 and 4096 tokens.

    /work/pyenv/bin/python scripts/bench/torch_teacher.py --threads 2 [--reps 3] [--no-train]
"""
import argparse, json, os, statistics, time
import torch
from transformers import AutoModelForCausalLM

ap = argparse.ArgumentParser()
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--reps", type=int, default=3)
ap.add_argument("--no-train", action="store_true", help="skip the forward+backward measurement")
ap.add_argument("--gguf-dir", default=os.path.join(os.path.dirname(__file__), "..", "..", "assets", "smollm2"))
args = ap.parse_args()
torch.set_num_threads(args.threads)
model = AutoModelForCausalLM.from_pretrained(args.gguf_dir, gguf_file="SmolLM2-135M-Instruct.Q4_1.gguf",
                                             dtype=torch.float32).eval()
g = torch.Generator().manual_seed(0)

def forward_tokens_per_second(batch, seq):
    ids = torch.randint(0, model.config.vocab_size, (batch, seq), generator=g)
    times = []
    with torch.no_grad():
        model(ids)  # warm-up
        for _ in range(args.reps):
            t = time.perf_counter(); model(ids); times.append(time.perf_counter() - t)
    return batch * seq / statistics.median(times)

def train_tokens_per_second(batch, seq):
    ids = torch.randint(0, model.config.vocab_size, (batch, seq), generator=g)
    def step():
        loss = model(ids, labels=ids).loss
        loss.backward()
        model.zero_grad(set_to_none=True)
    step()  # warm-up
    times = []
    for _ in range(args.reps):
        t = time.perf_counter(); step(); times.append(time.perf_counter() - t)
    return batch * seq / statistics.median(times)

def decode_ms_per_token(context, new=32):
    ids = torch.randint(0, model.config.vocab_size, (1, context), generator=g)
    with torch.no_grad():
        out = model(ids, use_cache=True)
        past, nxt = out.past_key_values, out.logits[:, -1:].argmax(-1)
        times = []
        for _ in range(new):
            t = time.perf_counter()
            out = model(nxt, past_key_values=past, use_cache=True)
            times.append(time.perf_counter() - t)
            past, nxt = out.past_key_values, out.logits[:, -1:].argmax(-1)
    return 1000 * statistics.median(times)

result = {"threads": args.threads, "torch": torch.__version__,
          "forward_tokens_per_s_4x512": forward_tokens_per_second(4, 512),
          "decode_ms_per_token_ctx128": decode_ms_per_token(128),
          "decode_ms_per_token_ctx4096": decode_ms_per_token(4096)}
if not args.no_train:
    result["train_tokens_per_s_4x512"] = train_tokens_per_second(4, 512)
print(json.dumps(result))
