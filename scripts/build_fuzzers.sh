#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/) with clang and its fuzzer, address and
# undefined-behaviour sanitizers into ./build-fuzz (EDGENAS_FUZZ_BUILD_DIR),
# a tree of their own: only the libraries they exercise, no LibTorch.
# Usage: scripts/build_fuzzers.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${EDGENAS_FUZZ_BUILD_DIR:-$root/build-fuzz}"
export CCACHE_BASEDIR="$root"
# Debug info names the build folder; without this ccache keys on it too and
# a fresh clone (CI) would rebuild everything.
export CCACHE_NOHASHDIR=1
CC=clang CXX=clang++ cmake -S "$root" -B "$build" -G Ninja -DEDGENAS_FUZZ=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C "$build" -j "${EDGENAS_JOBS:-2}" fuzzers
