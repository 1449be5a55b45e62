#!/usr/bin/env bash
# Configures and builds edgenas into ./build (Ninja, -j2, ccache when present).
# Usage: scripts/build.sh [extra ninja targets...]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${EDGENAS_BUILD_DIR:-$root/build}"
# Paths relative to the checkout let ccache reuse objects across clones.
export CCACHE_BASEDIR="$root"
# Debug info names the build folder; without this ccache keys on it too and
# a fresh clone (CI) would rebuild everything.
export CCACHE_NOHASHDIR=1
export CCACHE_MAXSIZE="${CCACHE_MAXSIZE:-5G}"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C "$build" -j "${EDGENAS_JOBS:-2}" "$@"
