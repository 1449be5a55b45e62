#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded time over its seed corpus (CTest
# label "fuzz"). Exits 77 (CTest: skipped) when the target was not built
# (scripts/build_fuzzers.sh). A crash leaves its input in the work folder
# and fails the test; add such inputs to fuzz/regressions/<target>/.
# The search is seeded (EDGENAS_FUZZ_SEED, default 1) so that a run explores
# the same inputs on every machine: a failure is a change in the code, not
# the luck of the draw. EDGENAS_FUZZ_SEED=0 draws a fresh seed (libFuzzer's
# own choice) for soaking, e.g. EDGENAS_FUZZ_SEED=0 scripts/run_fuzzer.sh
# job_spec_fuzzer 600.
# Usage: scripts/run_fuzzer.sh TARGET SECONDS
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
target="$1"
seconds="$2"
build="${EDGENAS_FUZZ_BUILD_DIR:-$root/build-fuzz}"
binary="$build/bin/$target"
if [ ! -x "$binary" ]; then
  echo "$binary not built (scripts/build_fuzzers.sh); skipped"
  exit 77
fi
work="$(mktemp -d "${TMPDIR:-/tmp}/edgenas-fuzz-$target.XXXXXX")"
name="${target%_fuzzer}"
mkdir -p "$work/corpus"
cp -r "$root/fuzz/corpus/$name/." "$work/corpus/" 2>/dev/null || true
# Known crashers first: each must now pass.
if [ -d "$root/fuzz/regressions/$name" ] && [ -n "$(ls -A "$root/fuzz/regressions/$name")" ]; then
  "$binary" "$root/fuzz/regressions/$name"/*
fi
cd "$work"
set +e
"$binary" -seed="${EDGENAS_FUZZ_SEED:-1}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  "$work/corpus" 2>&1 | tail -n 25
status="${PIPESTATUS[0]}"
set -e
if [ "$status" -eq 0 ]; then rm -rf "$work"; else echo "fuzzer failed; inputs kept in $work"; fi
exit "$status"
