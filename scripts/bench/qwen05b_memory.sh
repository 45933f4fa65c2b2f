#!/usr/bin/env bash
# Issue 11's memory benchmark: a Qwen2.5-0.5B-shaped teacher (random weights) runs one stage-1 and one
# stage-2 step of a RAD-RWKV6 student at batch 4 x seq_len 512 with activation checkpointing
# (scripts/bench/qwen05b-shaped.yaml), inside one `rad run` under /usr/bin/time -v, into a fresh cache.
# Prints rad's own memory estimate for each step (the memory check's figure), the process's peak resident
# memory (and its resident memory sampled every 2 s, the largest per step), the wall time,
# the load average during the run, and the tokens/s that run.json records for each step (training only:
# loading and data are outside the rate).
#
#     swift build -c release
#     /work/pyenv/bin/python scripts/fixtures/make_qwen05b_shaped.py     # once: assets/qwen05b-shaped
#     scripts/bench/qwen05b_memory.sh [OUT=/tmp/rad-qwen05b]
#     RAD=/tmp/clean/.build/release/rad RAD_COMMIT=abc1234 scripts/bench/qwen05b_memory.sh   # another binary
#
# Needs up to about 16 GB. If rad refuses the run by its memory check, RAD_MEMORY_LIMIT=24G (say) lifts it.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-/tmp/rad-qwen05b}
python=${PYTHON:-/work/pyenv/bin/python}
manifest=scripts/bench/qwen05b-shaped.yaml
rad=${RAD:-.build/release/rad}
[[ -f assets/qwen05b-shaped/teacher/model.safetensors ]] || {
    echo "no assets/qwen05b-shaped: run $python scripts/fixtures/make_qwen05b_shaped.py first" >&2; exit 1; }
mkdir -p "$out"; rm -rf "${out:?}"/*
# The source the binary was built from: RAD_COMMIT when RAD points elsewhere (a clean build of a commit),
# else this tree's HEAD, flagged when Sources or Package.swift differ from it.
commit=${RAD_COMMIT:-$(git rev-parse --short HEAD)$([[ -z $(git status --porcelain -- Sources Package.swift) ]] || echo '+uncommitted')}
echo "rad binary $rad, built from $commit" | tee "$out/commit.txt"
"$rad" plan "$manifest" --cache "$out/cache" --runs "$out/runs" > "$out/plan.txt" 2>&1 || { cat "$out/plan.txt"; exit 1; }
cat "$out/plan.txt"
# rad's own estimate of each step's peak (MemoryEstimate): the memory check prints it when it refuses, so
# ask under a limit nothing fits in.
{ RAD_MEMORY_LIMIT=1M "$rad" plan "$manifest" --cache "$out/cache" --runs "$out/runs" 2>&1 || true; } \
    | sed -n "s/.*error: step '\([a-z_]*\)' needs about \([0-9.]* [KMGT]iB\).*/rad estimate: \1 \2/p" | tee "$out/estimate.txt"
free -m | tee "$out/free.txt"
echo "start:  $(uptime)" | tee "$out/uptime.txt"
status=0
/usr/bin/time -v -o "$out/rad.time" "$rad" run "$manifest" --cache "$out/cache" --runs "$out/runs" > "$out/rad.log" 2>&1 &
timer=$!
# Every 2 s: seconds since start, the rad process's VmRSS (kB) and the step it runs (its last `running NAME`
# line); every 30 s the load average.
(
    t0=$(date +%s); n=0
    while kill -0 $timer 2>/dev/null; do
        pid=$(pgrep -P $timer | head -n 1 || true)   # time's one child: rad
        if [[ -n $pid ]]; then
            rss=$(awk '/^VmRSS:/ {print $2}' /proc/$pid/status 2>/dev/null || echo 0)
            step=$(grep -ao '^running [A-Za-z0-9_.-]*' "$out/rad.log" | tail -n 1 | cut -d' ' -f2 || true)
            echo "$(( $(date +%s) - t0 )) ${rss:-0} ${step:-start}" >> "$out/rss.txt"
        fi
        (( n++ % 15 == 14 )) && echo "during: $(uptime)" >> "$out/uptime.txt"
        sleep 2
    done
) & sampler=$!
wait $timer || status=$?
wait $sampler || true
echo "end:    $(uptime)" | tee -a "$out/uptime.txt"
grep "during:" "$out/uptime.txt" || true
if (( status != 0 )); then echo "rad run failed (exit $status):"; tail -n 30 "$out/rad.log"; grep -E "Maximum resident|Elapsed" "$out/rad.time" || true; exit "$status"; fi
"$python" - "$out" <<'PY'
import json, re, sys
out = sys.argv[1]
time = open(f"{out}/rad.time").read()
rss_mib = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", time).group(1)) / 1024
wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", time).group(1)
run = json.load(open(f"{out}/runs/bench-qwen05b-shaped/run.json"))
# run.json rounds tokens/s to an integer; the step's cache entry keeps the exact rate and training time.
def entry(key):
    return json.load(open(f"{out}/cache/objects/{key[:2]}/{key}/meta.json"))["meta"]
steps = {}
for name in ("align", "distill"):
    node = run["nodes"][name]; m = entry(node["key"])
    steps[name] = {"tokens_per_s": node.get("tokens_per_s"), "exact_tokens_per_s": round(m["tokens_per_second"], 2),
                   "training_s": round(m["seconds"], 1), "step_s": node.get("seconds")}
# The largest sampled resident memory while each step ran.
peak = {}
for line in open(f"{out}/rss.txt"):
    seconds, kb, step = line.split()
    peak[step] = max(peak.get(step, 0), int(kb) / 1024)
print(json.dumps({"peak_rss_mib": round(rss_mib), "wall": wall, "steps": steps,
                  "sampled_peak_rss_mib": {k: round(v) for k, v in peak.items()}}))
print(f"peak RSS {rss_mib:.0f} MiB ({rss_mib / 1024:.2f} GiB), wall {wall}; "
      + ", ".join(f"{k} {v['exact_tokens_per_s']} tokens/s ({v['training_s']} s training, {v['step_s']} s step)"
                  for k, v in steps.items()))
PY
