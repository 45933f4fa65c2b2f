#!/usr/bin/env python3
"""Medians over rounds and ratios rad/PyTorch from the JSON files scripts/bench/side_by_side.sh writes
(rad-N.json from `rad bench --only models --json`, torch-N.json from torch_teacher.py). Prints Markdown.

    python3 scripts/bench/compare.py /tmp/rad-bench-side
"""
import glob, json, os, statistics, sys

out = sys.argv[1] if len(sys.argv) > 1 else "/tmp/rad-bench-side"
rad = [json.load(open(p))["models"] for p in sorted(glob.glob(os.path.join(out, "rad-*.json")))]
torch = [json.load(open(p)) for p in sorted(glob.glob(os.path.join(out, "torch-*.json")))]
if not rad or not torch:
    sys.exit(f"no rad-*.json / torch-*.json in {out}")

def med(xs):
    return statistics.median(xs)

def fmt(xs, digits):
    return f"{med(xs):.{digits}f} ({', '.join(f'{x:.{digits}f}' for x in xs)})"

print(f"rounds: {len(rad)} rad, {len(torch)} PyTorch (torch {torch[0]['torch']}, {torch[0]['threads']} threads); "
      "median over rounds, per-round values in parentheses\n")
print("| figure | rad | PyTorch | ratio rad/PyTorch | better |")
print("|---|---:|---:|---:|---|")
rows = [("teacher forward tok/s, 4 x 512", [r["teacher"]["forward_tokens_per_s"] for r in rad],
         [t["forward_tokens_per_s_4x512"] for t in torch], 0, "higher")]
for ctx in ("128", "4096"):
    rows.append((f"teacher decode ms/token @{ctx}", [r["teacher"]["decode_ms_per_token"][ctx] for r in rad],
                 [t[f"decode_ms_per_token_ctx{ctx}"] for t in torch], 2, "lower"))
if rad[0]["students"] and all("train_tokens_per_s_4x512" in t for t in torch):
    torch_train = [t["train_tokens_per_s_4x512"] for t in torch]
    for i, s in enumerate(rad[0]["students"]):
        rows.append((f"{s['architecture']} fwd+bwd tok/s (rad) vs teacher fwd+bwd tok/s (PyTorch), 4 x 512",
                     [r["students"][i]["train_tokens_per_s"] for r in rad], torch_train, 0, "higher"))
for name, a, b, digits, better in rows:
    print(f"| {name} | {fmt(a, digits)} | {fmt(b, digits)} | {med(a) / med(b):.2f} | {better} |")

print("\n| model | forward tok/s | fwd+bwd tok/s | step ms | decode ms @128 | decode ms @4096 | @4096 / @128 | recurrence share of step |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
t = [r["teacher"] for r in rad]
d128, d4096 = [x["decode_ms_per_token"]["128"] for x in t], [x["decode_ms_per_token"]["4096"] for x in t]
print(f"| teacher | {med([x['forward_tokens_per_s'] for x in t]):.0f} | - | - | {med(d128):.2f} | {med(d4096):.2f} | "
      f"{med(d4096) / med(d128):.2f} | - |")
for i, s0 in enumerate(rad[0]["students"]):
    s = [r["students"][i] for r in rad]
    d128, d4096 = [x["decode_ms_per_token"]["128"] for x in s], [x["decode_ms_per_token"]["4096"] for x in s]
    share = [x["recurrence_share_of_train_step"] for x in s]
    print(f"| {s0['architecture']} | {med([x['forward_tokens_per_s'] for x in s]):.0f} | "
          f"{med([x['train_tokens_per_s'] for x in s]):.0f} | {med([x['train_step_ms'] for x in s]):.0f} | "
          f"{med(d128):.2f} | {med(d4096):.2f} | {med(d4096) / med(d128):.2f} | "
          f"{100 * med(share):.1f}% ({s0['recurrence_layers']} x {med([x['recurrence_fwd_bwd_ms_per_layer'] for x in s]):.1f} ms {s0['recurrence_kernel']}) |")
