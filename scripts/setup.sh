#!/usr/bin/env bash
# Idempotent machine set-up: the system libraries rad links against. Installs only what is missing.
set -euo pipefail
need=()
for pkg in libopenblas-dev libzstd-dev libyaml-dev pkg-config libopenmpi-dev openmpi-bin; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
    echo "setup: installing ${need[*]}"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
