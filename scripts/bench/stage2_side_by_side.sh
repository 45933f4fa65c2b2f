#!/usr/bin/env bash
# rad's stage-2 step inside a real `rad run` against PyTorch's distillation loop (torch_distill.py), side
# by side: ROUNDS rounds alternating which goes first, each under /usr/bin/time -v for its peak resident
# memory. rad's figure is the tokens/s that run.json records for the `distill` step (5 optimizer steps at
# 4 x 512, fresh cache each round, so loading and tokenisation are in the process but not in the rate);
# PyTorch's is the median of its timed steps. Prints medians over rounds and the ratios rad/PyTorch.
#
#     swift build -c release
#     scripts/bench/stage2_side_by_side.sh [ROUNDS=3] [OUT=/tmp/rad-stage2]
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-3}; out=${2:-/tmp/rad-stage2}
python=${PYTHON:-/work/pyenv/bin/python}
mkdir -p "$out"; rm -rf "$out"/*
run_rad() {
    /usr/bin/time -v -o "$out/rad-$1.time" .build/release/rad run scripts/bench/stage2-distill.yaml \
        --cache "$out/cache-$1" --runs "$out/runs-$1" > "$out/rad-$1.log" 2>&1
}
run_torch() {
    /usr/bin/time -v -o "$out/torch-$1.time" "$python" scripts/bench/torch_distill.py --threads 2 --steps 3 > "$out/torch-$1.json"
}
for i in $(seq 1 "$rounds"); do
    echo "round $i start: $(uptime)" | tee -a "$out/uptime.txt"
    if (( i % 2 == 1 )); then run_rad "$i"; run_torch "$i"; else run_torch "$i"; run_rad "$i"; fi
    echo "round $i end:   $(uptime)" | tee -a "$out/uptime.txt"
done
"$python" - "$out" "$rounds" <<'PY'
import json, re, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
def rss(path):
    return int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", open(path).read()).group(1)) / 1024
rad_tps = [json.load(open(f"{out}/runs-{i}/bench-stage2/run.json"))["nodes"]["distill"]["tokens_per_s"] for i in range(1, rounds + 1)]
rad_mb = [rss(f"{out}/rad-{i}.time") for i in range(1, rounds + 1)]
torch_tps = [json.load(open(f"{out}/torch-{i}.json"))["tokens_per_s"] for i in range(1, rounds + 1)]
torch_mb = [rss(f"{out}/torch-{i}.time") for i in range(1, rounds + 1)]
m = statistics.median
print(json.dumps({"rad_tokens_per_s": rad_tps, "torch_tokens_per_s": torch_tps, "rad_peak_rss_mb": rad_mb, "torch_peak_rss_mb": torch_mb}))
print(f"stage-2 step 4x512: rad {m(rad_tps):.1f} tok/s, PyTorch {m(torch_tps):.1f} tok/s, ratio {m(rad_tps) / m(torch_tps):.2f}x")
print(f"peak RSS: rad {m(rad_mb):.0f} MB, PyTorch {m(torch_mb):.0f} MB, ratio {m(rad_mb) / m(torch_mb):.2f}")
PY
