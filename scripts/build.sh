#!/usr/bin/env bash
# Configures and builds edgenas into ./build (Ninja, -j2, ccache when present).
# Usage: scripts/build.sh [extra ninja targets...]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${EDGENAS_BUILD_DIR:-$root/build}"
# Paths relative to the checkout let ccache reuse objects across clones.
export CCACHE_BASEDIR="$root"
export CCACHE_MAXSIZE="${CCACHE_MAXSIZE:-5G}"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C "$build" -j "${EDGENAS_JOBS:-2}" "$@"
