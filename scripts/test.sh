#!/usr/bin/env bash
# One command from a fresh Debian machine to a full test run: installs the
# dependencies (Debian packages), builds, and runs every test with CTest.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/install_deps.sh"
"$root/scripts/build.sh"
"$root/scripts/build_fuzzers.sh"   # clang + libFuzzer; CTest runs them (label fuzz)
cd "${EDGENAS_BUILD_DIR:-$root/build}"
ctest --output-on-failure --timeout 600 -j "${EDGENAS_TEST_JOBS:-2}"
