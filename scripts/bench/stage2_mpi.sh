#!/usr/bin/env bash
# Stage 2 (scripts/bench/stage2-distill.yaml: real SmolLM2 teacher, RAD-RWKV6 student, 4 x 512) on one
# rank with 2 threads against 2 ranks (mpirun) with 1 thread each, same cache (tokenisation and the
# initialised student are cached by the first run; `--force distill` retrains). Prints the tokens/s
# run.json records and rank 0's allreduce line. Usage: scripts/bench/stage2_mpi.sh [tokens] [work folder]
set -euo pipefail
tokens=${1:-6144}; work=${2:-/tmp/rad-stage2-mpi}
rad=$(pwd)/.build/release/rad; manifest=$(pwd)/scripts/bench/stage2-distill.yaml
mkdir -p "$work"
common=(run "$manifest" --cache "$work/cache" --runs "$work/runs" -s "steps.distill.tokens=$tokens")
rate() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['nodes']['distill']['tokens_per_s'])" "$work/runs/bench-stage2/run.json"; }

echo "== 1 rank x 2 threads"
OPENBLAS_NUM_THREADS=2 "$rad" "${common[@]}" -s steps.distill.threads=2 --force distill 2>"$work/one.log" >/dev/null
echo "tokens/s $(rate)"

echo "== 2 ranks x 1 thread (mpirun --bind-to none)"
root=(); [ "$(id -u)" -eq 0 ] && root=(--allow-run-as-root)
mpirun "${root[@]}" --oversubscribe --bind-to none -x OPENBLAS_NUM_THREADS=1 -np 2 \
    "$rad" "${common[@]}" -s steps.distill.threads=1 --force distill 2>"$work/two.log" >/dev/null
echo "tokens/s $(rate)"
grep -a "gradient allreduce" "$work/two.log"
