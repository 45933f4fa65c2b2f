#!/usr/bin/env bash
# rad vs PyTorch on the SmolLM2-135M teacher, side by side: alternates `rad bench --only models` and
# scripts/bench/torch_teacher.py (same thread count) for ROUNDS rounds, swapping which goes first each
# round so both see the same machine load, then prints medians over rounds and ratios rad/PyTorch.
#
#     swift build -c release
#     scripts/bench/side_by_side.sh [ROUNDS=2] [OUT=/tmp/rad-bench-side] [REPS=1]
#
# Needs assets/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf (scripts/fetch-assets.sh teacher) and the shared
# venv /work/pyenv (torch, transformers, gguf). Per-round JSON and `uptime` lines stay in OUT.
# Extra arguments: RAD_ARGS (e.g. "--students none" for the teacher only) and TORCH_ARGS (e.g. --no-train).
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-2}; out=${2:-/tmp/rad-bench-side}; reps=${3:-1}
python=${PYTHON:-/work/pyenv/bin/python}
mkdir -p "$out"; rm -f "$out"/rad-*.json "$out"/torch-*.json "$out"/uptime.txt
run_rad() { .build/release/rad bench --only models --threads 2 --repetitions "$reps" ${RAD_ARGS:-} --json > "$out/rad-$1.json"; }
run_torch() { "$python" scripts/bench/torch_teacher.py --threads 2 --reps "$reps" ${TORCH_ARGS:-} > "$out/torch-$1.json"; }
for i in $(seq 1 "$rounds"); do
    echo "round $i start: $(uptime)" | tee -a "$out/uptime.txt"
    if (( i % 2 == 1 )); then run_rad "$i"; run_torch "$i"; else run_torch "$i"; run_rad "$i"; fi
    echo "round $i end:   $(uptime)" | tee -a "$out/uptime.txt"
done
"$python" scripts/bench/compare.py "$out"
