#!/usr/bin/env bash
# Builds the libFuzzer harnesses of Fuzz/ (incrementally, in Fuzz/.build) and runs each target for a
# bounded time on a copy of its seed corpus (Fuzz/Corpus/<target>; libFuzzer adds the inputs it finds
# to the directory it is given, and the committed seeds must stay as they are).
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     (default 60 s; targets: manifest safetensors gguf tokenizer)
#
# Prints, per target, libFuzzer's executions and the crashes found; a crash keeps its input under
# Fuzz/.build/artifacts/ (the path is printed) and makes the script exit 1.
# FUZZ_SANITIZERS overrides the sanitizers (default "fuzzer,address"); FUZZ_WORK, see below.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_TARGET="${1:-60}"
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(manifest safetensors gguf tokenizer)
SANITIZERS="${FUZZ_SANITIZERS:-fuzzer,address}"
SWIFT="${SWIFT:-swift}"

binary_of() {
    case "$1" in
        manifest) echo FuzzManifest ;;
        safetensors) echo FuzzSafetensors ;;
        gguf) echo FuzzGGUF ;;
        tokenizer) echo FuzzTokenizer ;;
        *) echo "fuzz: unknown target '$1' (manifest, safetensors, gguf, tokenizer)" >&2; exit 2 ;;
    esac
}

# Debug, not release: the parent package builds RadOps and RadModelZoo with -Ounchecked in release,
# which removes exactly the overflow and bounds traps a fuzzer is looking for.
echo "fuzz: building (sanitizers $SANITIZERS)"
start=$(date +%s)
mkdir -p Fuzz/.build
build_log=Fuzz/.build/fuzz-build.log
# (The linker's "Cannot export local symbol '__asan_...'" warnings are harmless and many.)
if ! "$SWIFT" build --package-path Fuzz -c debug -Xswiftc -sanitize="$SANITIZERS" -Xswiftc -parse-as-library \
        >"$build_log" 2>&1; then
    grep -v "warning: Cannot export local symbol" "$build_log" | tail -n 30 >&2
    echo "fuzz: build failed (log: $build_log)" >&2
    exit 2
fi
echo "fuzz: built in $(( $(date +%s) - start )) s"
bin_dir="Fuzz/.build/debug"

# FUZZ_WORK=DIR keeps the grown corpora in DIR between runs (longer sessions by hand); by default
# they live in a scratch directory that is removed at the end.
if [ -n "${FUZZ_WORK:-}" ]; then
    work="$FUZZ_WORK"; mkdir -p "$work"
else
    work=$(mktemp -d "${TMPDIR:-/tmp}/rad-fuzz.XXXXXX")
    trap 'rm -rf "$work"' EXIT
fi
# See -detect_leaks below: off in libFuzzer's per-input check and in AddressSanitizer's check at exit.
export ASAN_OPTIONS="detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
# The Swift runtime's own crash backtracer, under AddressSanitizer, trips over itself and can hang;
# libFuzzer prints the stack of a crash anyway.
export SWIFT_BACKTRACE="enable=no"
run_id=$(date -u +%Y%m%dT%H%M%SZ)
failed=0
summary=()
for target in "${TARGETS[@]}"; do
    bin="$bin_dir/$(binary_of "$target")"
    corpus="$work/$target"
    artifacts="Fuzz/.build/artifacts/$run_id/$target"
    mkdir -p "$corpus" "$artifacts"
    cp Fuzz/Corpus/"$target"/* "$corpus"/
    log="$artifacts/fuzz.log"
    echo "fuzz: $target for $SECONDS_PER_TARGET s ($(ls "$corpus" | wc -l) seeds)"
    rc=0
    # -timeout: one input running over 10 s is a hang (reported as timeout-*); -rss_limit_mb: an input
    # that makes a reader allocate without bound is reported as oom-*. -detect_leaks=0: LeakSanitizer
    # reports the one-time allocations of Swift's lazily initialised globals (the schema tables, which
    # stay reachable) as leaks, so it only adds noise; AddressSanitizer's memory checks stay on.
    "$bin" -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=4096 -timeout=10 -detect_leaks=0 \
        -print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus" >"$log" 2>&1 || rc=$?
    execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | tail -n 1 | awk '{print $2}')
    found=$(find "$artifacts" -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' | sort)
    crashes=$(printf '%s' "$found" | grep -c . || true)
    if [ "$rc" -ne 0 ] || [ "$crashes" -gt 0 ]; then
        failed=1
        echo "fuzz: $target FAILED (exit $rc); libFuzzer's report:"
        grep -E 'ERROR|Fatal error|SUMMARY|Test unit written|==[0-9]+==' "$log" | head -n 20 | sed 's/^/    /'
        for f in $found; do echo "    crash input: $f"; done
        echo "    full log: $log"
    fi
    summary+=("$(printf '%-12s executions %10s   crashes %s' "$target" "${execs:-?}" "$crashes")")
done

echo "fuzz: summary ($SECONDS_PER_TARGET s per target)"
printf '    %s\n' "${summary[@]}"
exit "$failed"
