#!/usr/bin/env bash
# Stage 2 (scripts/bench/stage2-distill.yaml: real SmolLM2 teacher, RAD-RWKV6 student, 4 x 512) on one
# rank with 2 threads against 2 ranks (mpirun) with 1 thread each: unsharded with the allreduce beside the
# backward pass (overlap_backward: true), unsharded summing after it (the default), and with the sharded
# optimizer (ZeRO-1), alternating for ROUNDS rounds on one cache (tokenisation and the initialised
# student are cached by the first run; `--force distill` retrains). Prints, per run, the tokens/s that
# run.json records, rank 0's communication line and every process's peak resident memory
# (/usr/bin/time -v). Usage: scripts/bench/stage2_mpi.sh [tokens] [work folder] [rounds]
set -euo pipefail
tokens=${1:-6144}; work=${2:-/tmp/rad-stage2-mpi}; rounds=${3:-2}
rad=$(pwd)/.build/release/rad; manifest=$(pwd)/scripts/bench/stage2-distill.yaml
mkdir -p "$work"
common=(run "$manifest" --cache "$work/cache" --runs "$work/runs" -s "steps.distill.tokens=$tokens")
rate() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['nodes']['distill']['tokens_per_s'])" "$work/runs/bench-stage2/latest/run.json"; }
peaks() { grep -a "Maximum resident set size" "$1" | awk '{printf "%s%.0f MB", sep, $6/1024; sep=", "} END {print ""}'; }
root=(); [ "$(id -u)" -eq 0 ] && root=(--allow-run-as-root)
mpi=(mpirun "${root[@]}" --oversubscribe --bind-to none --mca btl_vader_single_copy_mechanism none -x OPENBLAS_NUM_THREADS=1 -np 2)

echo "commit $(git rev-parse --short HEAD), $tokens tokens per run, $rounds rounds"
for round in $(seq "$rounds"); do
    echo "== round $round: 1 rank x 2 threads"
    OPENBLAS_NUM_THREADS=2 /usr/bin/time -v "$rad" "${common[@]}" -s steps.distill.threads=2 --force distill 2>"$work/one.log" >/dev/null
    echo "tokens/s $(rate); peak $(peaks "$work/one.log")"
    for config in overlap after sharded; do
        case $config in
            overlap) distributed="{shard_optimizer: false, overlap_backward: true}" ;;
            after) distributed="{shard_optimizer: false, overlap_backward: false}" ;;
            sharded) distributed="{shard_optimizer: true}" ;;
        esac
        echo "== round $round: 2 ranks x 1 thread, distributed: $distributed"
        "${mpi[@]}" /usr/bin/time -v "$rad" "${common[@]}" -s steps.distill.threads=1 \
            -s "distributed=$distributed" --force distill 2>"$work/two-$config.log" >/dev/null
        echo "tokens/s $(rate); peak per rank $(peaks "$work/two-$config.log")"
        grep -a "gradient \|reduce-scatter" "$work/two-$config.log" | grep -a "per step" || true
    done
done
