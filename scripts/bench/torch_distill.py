#!/usr/bin/env python3
"""PyTorch eager peer of one RADLADS stage-2 step (what `distill_logits` runs): the frozen teacher's
forward under no_grad, a student of the same size forward and backward, KL(p_teacher || p_student) at
temperature 1, gradient clipping and AdamW. The teacher is SmolLM2-135M (the GGUF dequantised to fp32
by HF transformers); the student is a second copy of it (HF has no RAD-RWKV6), so the student side has
the same parameter count and shapes as rad's. Prints one JSON object: median tokens/s over the timed
steps (model loading excluded) and the process's peak resident memory.

    /work/pyenv/bin/python scripts/bench/torch_distill.py --threads 2 [--steps 4] [--batch 4] [--seq-len 512]
"""
import argparse, json, os, resource, statistics, time
import torch
import torch.nn.functional as F
from transformers import AutoModelForCausalLM

ap = argparse.ArgumentParser()
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--steps", type=int, default=4, help="timed steps (after one warm-up step)")
ap.add_argument("--batch", type=int, default=4)
ap.add_argument("--seq-len", type=int, default=512)
ap.add_argument("--gguf-dir", default=os.path.join(os.path.dirname(__file__), "..", "..", "assets", "smollm2"))
args = ap.parse_args()
torch.set_num_threads(args.threads)
load = lambda: AutoModelForCausalLM.from_pretrained(args.gguf_dir, gguf_file="SmolLM2-135M-Instruct.Q4_1.gguf",
                                                    dtype=torch.float32)
teacher = load().eval()
for p in teacher.parameters():
    p.requires_grad_(False)
student = load().train()
optimizer = torch.optim.AdamW(student.parameters(), lr=1e-5, weight_decay=0.01)
g = torch.Generator().manual_seed(0)
ids = torch.randint(0, teacher.config.vocab_size, (args.batch, args.seq_len), generator=g)

def step():
    with torch.no_grad():
        t_logits = teacher(ids).logits
    s_logits = student(ids).logits
    v = s_logits.shape[-1]
    loss = F.kl_div(F.log_softmax(s_logits.view(-1, v), -1), F.log_softmax(t_logits.view(-1, v), -1),
                    log_target=True, reduction="batchmean")
    loss.backward()
    torch.nn.utils.clip_grad_norm_(student.parameters(), 1.0)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)

step()  # warm-up
times = []
for _ in range(args.steps):
    t = time.perf_counter(); step(); times.append(time.perf_counter() - t)
print(json.dumps({"threads": args.threads, "torch": torch.__version__, "batch": args.batch, "seq_len": args.seq_len,
                  "step_seconds": times, "tokens_per_s": args.batch * args.seq_len / statistics.median(times),
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
