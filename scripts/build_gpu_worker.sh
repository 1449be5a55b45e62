#!/usr/bin/env bash
# Builds edgenas-worker (and, when named, other LibTorch targets such as the
# train_step and proxy_fidelity benchmarks) against a CUDA LibTorch found on
# this machine: the CMake package of a Python `torch` built with CUDA
# (torch.utils.cmake_prefix_path), or a LibTorch folder given as
# EDGENAS_TORCH_DIR. gRPC, Abseil, SQLite and OpenSSL come from the system or
# from EDGENAS_DEPS_PREFIX (e.g. Debian packages unpacked with dpkg -x, as
# ../shared/gpu/prepare.sh does).
#
# LibTorch and generated protobuf headers never meet in one translation unit
# (worker/accuracy_plan.h is the bridge), and the deps prefix is searched
# before torch's folders, so the older protobuf headers a Python torch ships
# cannot shadow Debian's in the protobuf side's translation units (their
# targets still inherit torch's include folders through the libraries they
# link). Without EDGENAS_DEPS_PREFIX, the system's protobuf must be found
# first some other way (e.g. CMAKE_CXX_FLAGS=-I/path/to/protobuf/include).
#
# Usage: scripts/build_gpu_worker.sh [targets...]   (default: edgenas-worker)
# Env:   EDGENAS_GPU_BUILD_DIR (default ./build-gpu), EDGENAS_JOBS (default: cores),
#        EDGENAS_TORCH_DIR, EDGENAS_DEPS_PREFIX, PYTHON (default python3).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${EDGENAS_GPU_BUILD_DIR:-$root/build-gpu}"
jobs="${EDGENAS_JOBS:-$(nproc)}"
py="${PYTHON:-python3}"
torch_dir="${EDGENAS_TORCH_DIR:-}"
if [ -z "$torch_dir" ]; then
  torch_dir=$("$py" -c 'import torch; print(torch.utils.cmake_prefix_path)' 2>/dev/null) || {
    echo "build_gpu_worker: no Python torch found; set EDGENAS_TORCH_DIR to a LibTorch CMake folder" >&2
    exit 1
  }
  cuda=$("$py" -c 'import torch; print(torch.version.cuda or "")')
  if [ -z "$cuda" ]; then
    echo "build_gpu_worker: warning: $py's torch has no CUDA; the worker will train on CPU" >&2
  else
    echo "build_gpu_worker: torch $("$py" -c 'import torch; print(torch.__version__)') with CUDA $cuda"
  fi
fi
prefix_path="$torch_dir"
extra=()
if [ -n "${EDGENAS_DEPS_PREFIX:-}" ]; then
  prefix_path="${EDGENAS_DEPS_PREFIX}/usr;$torch_dir"
  export PATH="$EDGENAS_DEPS_PREFIX/usr/bin:$PATH"
  export LD_LIBRARY_PATH="$EDGENAS_DEPS_PREFIX/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}"
  export LIBRARY_PATH="$EDGENAS_DEPS_PREFIX/usr/lib/x86_64-linux-gnu:${LIBRARY_PATH:-}"
  # Debian's protobuf headers ahead of the older copy inside the torch
  # package: -I (searched before every -isystem and before the targets' own
  # -I folders, torch's among them).
  extra+=("-DCMAKE_CXX_FLAGS=-I$EDGENAS_DEPS_PREFIX/usr/include")
fi
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
cmake -S "$root" -B "$out" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DEDGENAS_BUILD_TESTS=OFF \
  -DCMAKE_PREFIX_PATH="$prefix_path" "${extra[@]}" >"$out.configure.log" 2>&1 ||
  { tail -30 "$out.configure.log"; exit 1; }
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(edgenas-worker)
cmake --build "$out" -j "$jobs" --target "${targets[@]}" >"$out.log" 2>&1 ||
  { grep -m 20 -E 'error' "$out.log"; exit 1; }
echo "build_gpu_worker: built ${targets[*]} in $out/bin"
