#!/usr/bin/env bash
# Cross-builds edgenas-agent for aarch64 (Raspberry Pi 4/5, Jetson, other
# 64-bit ARM boards running Debian bookworm or a close relative) on an amd64
# Debian machine, into ./build-arm64/bin/edgenas-agent.
#
# How: Debian's arm64 packages of the agent's libraries (LibTorch, gRPC,
# protobuf, Abseil, prometheus-cpp, OpenSSL and everything they depend on)
# are downloaded with `apt-get download` and unpacked with `dpkg -x` into a
# sysroot -- never installed: arm64 -dev packages beside the amd64 ones
# conflict. crossbuild-essential-arm64 compiles against that sysroot through
# cmake/aarch64-linux-gnu.cmake; the host's protoc and grpc_cpp_plugin
# generate the code. The sysroot lives outside the checkout so that CI and
# other clones reuse it; it is built once (stamp file) and reused after.
#
# Usage: scripts/cross_build_arm64.sh [--sysroot-only]
# Environment:
#   EDGENAS_ARM64_SYSROOT   sysroot folder  (default ~/.cache/edgenas/arm64-sysroot)
#   EDGENAS_ARM64_DEBS      downloaded .deb (default ~/.cache/edgenas/arm64-debs)
#   EDGENAS_ARM64_BUILD_DIR build folder    (default ./build-arm64)
#   EDGENAS_JOBS            ninja jobs      (default 2; the build runs under nice -n 15)
# Needs root (or sudo) the first time: `dpkg --add-architecture arm64` and
# `apt-get update` so that apt sees the arm64 packages, and the host tools
# (crossbuild-essential-arm64, qemu-user-static) when they are missing.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/edgenas"
sysroot="${EDGENAS_ARM64_SYSROOT:-$cache/arm64-sysroot}"
debs="${EDGENAS_ARM64_DEBS:-$cache/arm64-debs}"
build="${EDGENAS_ARM64_BUILD_DIR:-$root/build-arm64}"
jobs="${EDGENAS_JOBS:-2}"

# The agent's direct build dependencies (arm64); apt resolves the rest.
# libc6-dev and libstdc++-12-dev keep the sysroot self-contained for the
# linker and for qemu (the agent runs against exactly these libraries).
PACKAGES=(
  libc6-dev libstdc++-12-dev
  libtorch-dev libgrpc++-dev libprotobuf-dev libabsl-dev prometheus-cpp-dev
  libssl-dev zlib1g-dev libonnx-dev libopencv-dnn-dev
)
# Bumped when the way the sysroot is assembled changes: forces a rebuild.
SYSROOT_FORMAT=1
stamp="$sysroot/.edgenas-sysroot"
want_stamp="format=$SYSROOT_FORMAT packages=${PACKAGES[*]}"

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
log() { echo "cross_build_arm64: $*" >&2; }

# apt run as if arm64 were the only architecture and nothing were installed:
# resolves the complete dependency closure of PACKAGES for arm64.
APT_ARM64=(-o Dir::State::status=/dev/null -o APT::Architecture=arm64
           -o APT::Architectures::=arm64 -q)

ensure_host_tools() {
  local missing=()
  command -v aarch64-linux-gnu-g++ >/dev/null || missing+=(crossbuild-essential-arm64)
  command -v qemu-aarch64-static >/dev/null || missing+=(qemu-user-static)
  command -v protoc >/dev/null || missing+=(protobuf-compiler)
  command -v grpc_cpp_plugin >/dev/null || missing+=(protobuf-compiler-grpc)
  command -v cmake >/dev/null || missing+=(cmake)
  command -v ninja >/dev/null || missing+=(ninja-build)
  if [ "${#missing[@]}" -gt 0 ]; then
    log "installing host tools: ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
}

ensure_arm64_lists() {
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    log "dpkg --add-architecture arm64"
    $SUDO dpkg --add-architecture arm64
  fi
  if [ -z "$(apt-cache madison libc6:arm64 2>/dev/null)" ]; then
    log "apt-get update (arm64 package lists)"
    $SUDO apt-get update -q
  fi
}

# Rewrites every absolute symlink inside the sysroot (/usr/lib/... ->
# ../../..) so that it resolves inside the sysroot, for the linker and qemu.
relativize_symlinks() {
  local dir="$1" link target rel
  while IFS= read -r -d '' link; do
    target="$(readlink "$link")"
    case "$target" in
      /*) rel="$(realpath -m --relative-to="$(dirname "$link")" "$dir$target")"
          ln -sfn "$rel" "$link" ;;
    esac
  done < <(find "$dir" -type l -print0)
}

# What postinst scripts would have done and dpkg -x does not: the
# update-alternatives links of BLAS/LAPACK (LibTorch needs libblas.so.3 and
# liblapack.so.3; Debian provides them from OpenBLAS through alternatives).
link_alternatives() {
  local dir="$1" libdir="$1/usr/lib/aarch64-linux-gnu" name provider
  for name in libblas.so.3 liblapack.so.3 libblas.so liblapack.so; do
    [ -e "$libdir/$name" ] && continue
    provider=""
    for sub in openblas-pthread openblas-openmp openblas-serial blis-pthread blas lapack atlas; do
      if [ -e "$libdir/$sub/$name" ]; then provider="$sub/$name"; break; fi
    done
    if [ -n "$provider" ]; then
      ln -sfn "$provider" "$libdir/$name"
    fi
  done
}

# gRPC's exported targets name its code generators (grpc_cpp_plugin, ...)
# under the sysroot's /usr/bin, where nothing is (they are in
# protobuf-compiler-grpc) and where they could not run anyway: point them at
# the host's plugins, which generate the same code (same gRPC version).
retarget_grpc_plugins() {
  local f
  for f in "$1"/usr/lib/aarch64-linux-gnu/cmake/grpc/gRPCTargets-*.cmake; do
    [ -e "$f" ] || continue
    sed -i 's|"${_IMPORT_PREFIX}/bin/\(grpc_[a-z_]*_plugin\)"|"/usr/bin/\1"|g' "$f"
  done
}

# Every NEEDED library of every shared library and program in the sysroot's
# library folders must be there: otherwise the link (or the run under qemu)
# fails far from the cause. Prints what is missing, returns 1 if anything is.
check_needed() {
  local dir="$1" absent=0 lib needed
  declare -A have=()
  for lib in "$dir"/lib/aarch64-linux-gnu/* "$dir"/usr/lib/aarch64-linux-gnu/* "$dir"/usr/lib/*.so*; do
    have["$(basename "$lib")"]=1
  done
  while IFS= read -r needed; do
    if [ -z "${have[$needed]:-}" ]; then
      log "missing in sysroot: $needed"
      absent=1
    fi
  done < <(find "$dir/usr/lib/aarch64-linux-gnu" "$dir/lib/aarch64-linux-gnu" -maxdepth 1 -name '*.so*' -type f \
             -exec aarch64-linux-gnu-readelf -d {} + 2>/dev/null |
           sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort -u)
  return "$absent"
}

build_sysroot() {
  ensure_arm64_lists
  mkdir -p "$debs"
  log "resolving the arm64 dependency closure of: ${PACKAGES[*]}"
  local plan
  plan="$(apt-get "${APT_ARM64[@]}" -s install --no-install-recommends "${PACKAGES[@]}" |
          awk '/^Inst /{v=$3; gsub(/[()]/, "", v); print $2 "=" v}')"
  if [ -z "$plan" ]; then
    log "apt resolved nothing for arm64 (are the arm64 lists there? apt-get update)"
    exit 1
  fi
  local -a want=() missing=()
  mapfile -t want <<<"$plan"
  # --print-uris names the exact file each package is saved as
  # ('URI' name_version_arch.deb size hash); run in an empty folder, since it
  # leaves out the files already in the current one.
  local uris file empty
  empty="$(mktemp -d)"
  uris="$(cd "$empty" && apt-get "${APT_ARM64[@]}" download --print-uris "${want[@]}")"
  rmdir "$empty"
  local -A files=()
  while read -r _ file _; do
    [ -n "$file" ] || continue
    files["$file"]=1
    [ -s "$debs/$file" ] || missing+=("${file%%_*}")
  done <<<"$uris"
  log "${#want[@]} packages, ${#missing[@]} to download into $debs"
  if [ "${#missing[@]}" -gt 0 ]; then
    # apt drops privileges to _apt when it can; the cache folder may not be
    # its to write, so download unsandboxed (the files are hash-checked).
    (cd "$debs" && apt-get "${APT_ARM64[@]}" -o APT::Sandbox::User=root download "${missing[@]}")
  fi
  local tmp="$sysroot.partial"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  log "unpacking into $sysroot"
  for file in "${!files[@]}"; do
    dpkg -x "$debs/$file" "$tmp"
  done
  # Documentation, manuals and translations are not needed to link or run.
  rm -rf "$tmp"/usr/share/doc "$tmp"/usr/share/man "$tmp"/usr/share/locale "$tmp"/usr/share/info
  relativize_symlinks "$tmp"
  link_alternatives "$tmp"
  retarget_grpc_plugins "$tmp"
  if ! check_needed "$tmp"; then
    log "the sysroot lacks libraries (above); left in $tmp for a look"
    exit 1
  fi
  rm -rf "$sysroot"
  mv "$tmp" "$sysroot"
  echo "$want_stamp" >"$stamp"
  log "sysroot ready: $(du -sh "$sysroot" | cut -f1), ${#want[@]} packages"
}

ensure_host_tools
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want_stamp" ]; then
  log "sysroot $sysroot is complete; not downloading"
else
  build_sysroot
fi
if [ "${1:-}" = "--sysroot-only" ]; then exit 0; fi

# Same ccache settings as scripts/build.sh: objects shared across clones.
export CCACHE_BASEDIR="$root"
export CCACHE_NOHASHDIR=1
export CCACHE_MAXSIZE="${CCACHE_MAXSIZE:-5G}"
export EDGENAS_ARM64_SYSROOT="$sysroot"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_TOOLCHAIN_FILE="$root/cmake/aarch64-linux-gnu.cmake" \
  -DEDGENAS_ARM64_SYSROOT="$sysroot" -DEDGENAS_AGENT_ONLY=ON >/dev/null
nice -n 15 ninja -C "$build" -j "$jobs" edgenas-agent
machine="$(aarch64-linux-gnu-readelf -h "$build/bin/edgenas-agent" | sed -n 's/^ *Machine: *//p')"
if [ "$machine" != "AArch64" ]; then
  log "$build/bin/edgenas-agent is for \"$machine\", not AArch64"
  exit 1
fi
log "built $build/bin/edgenas-agent (AArch64)"
