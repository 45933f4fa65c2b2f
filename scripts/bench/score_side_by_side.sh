#!/usr/bin/env bash
# `rad score` (the whole process: loading the GGUF, tokenising, scoring) against PyTorch's scoring loop
# (torch_score.py: loading and tokenisation excluded) on the SmolLM2-135M teacher, 512-token windows,
# batch 4, 2 threads each. ROUNDS rounds alternating which goes first; prints medians over rounds and
# the ratio of PyTorch's loop time to rad's process time (above 1: rad is faster).
#
#     swift build -c release
#     scripts/bench/score_side_by_side.sh [ROUNDS=3] [OUT=/tmp/rad-score] [CHARS=70000]
#
# The text is the first CHARS characters of the held-out novel (assets/text/heldout/persuasion.txt,
# ASCII): about 16k tokens, 8 batches of 4 windows.
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-3}; out=${2:-/tmp/rad-score}; chars=${3:-70000}
python=${PYTHON:-/work/pyenv/bin/python}
model=assets/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf
mkdir -p "$out"; rm -rf "$out"/*
head -c "$chars" assets/text/heldout/persuasion.txt > "$out/text.txt"
run_rad() {
    /usr/bin/time -v -o "$out/rad-$1.time" .build/release/rad score --model "$model" --text "$out/text.txt" --json > "$out/rad-$1.json"
}
run_torch() {
    /usr/bin/time -v -o "$out/torch-$1.time" "$python" scripts/bench/torch_score.py --text "$out/text.txt" --threads 2 > "$out/torch-$1.json"
}
export OPENBLAS_NUM_THREADS=2
for i in $(seq 1 "$rounds"); do
    echo "round $i start: $(uptime)" | tee -a "$out/uptime.txt"
    if (( i % 2 == 1 )); then run_rad "$i"; run_torch "$i"; else run_torch "$i"; run_rad "$i"; fi
    echo "round $i end:   $(uptime)" | tee -a "$out/uptime.txt"
done
"$python" - "$out" "$rounds" <<'PY'
import json, re, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
def field(path, pattern):
    return re.search(pattern, open(path).read()).group(1)
def wall(path):   # "Elapsed (wall clock) time (h:mm:ss or m:ss): 0:41.23"
    parts = field(path, r"Elapsed \(wall clock\) time .*: ([\d:.]+)").split(":")
    return sum(float(p) * 60 ** k for k, p in enumerate(reversed(parts)))
def rss(path):
    return int(field(path, r"Maximum resident set size \(kbytes\): (\d+)")) / 1024
r = range(1, rounds + 1)
rad_s = [wall(f"{out}/rad-{i}.time") for i in r]
torch_s = [json.load(open(f"{out}/torch-{i}.json"))["seconds"] for i in r]
rad = json.load(open(f"{out}/rad-1.json")); tor = json.load(open(f"{out}/torch-1.json"))
m = statistics.median
print(json.dumps({"rad_process_s": rad_s, "torch_loop_s": torch_s, "rad_peak_rss_mb": [rss(f"{out}/rad-{i}.time") for i in r],
                  "torch_peak_rss_mb": [rss(f"{out}/torch-{i}.time") for i in r], "rad_tokens": rad["tokens"], "torch_tokens": tor["tokens"],
                  "rad_nll": rad["nll"], "torch_nll": tor["nll"]}))
print(f"scored tokens: rad {rad['tokens']}, PyTorch {tor['tokens']}; nll rad {rad['nll']:.6f}, PyTorch {tor['nll']:.6f}")
print(f"rad score (whole process) {m(rad_s):.1f} s, PyTorch scoring loop {m(torch_s):.1f} s: rad is {m(torch_s) / m(rad_s):.2f}x PyTorch's speed")
PY
