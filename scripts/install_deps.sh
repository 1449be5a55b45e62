#!/usr/bin/env bash
# Installs every build, test and runtime dependency of edgenas from Debian
# packages. Safe to run again: apt-get skips what is already installed.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev libtorch-dev prometheus-cpp-dev libsqlite3-dev libeigen3-dev
  libgtest-dev libgmock-dev libyaml-cpp-dev libssl-dev zlib1g-dev
  libonnx-dev libopencv-dnn-dev libopencv-imgcodecs-dev libopencv-imgproc-dev
  dataset-fashion-mnist python3-optuna python3-torch python3-torchvision python3-pil
  python3-grpcio python3-protobuf python3-pandas python3-yaml python3-pip python3-venv
  clang libclang-rt-dev
  prometheus openssl
)

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${PACKAGES[@]}"
