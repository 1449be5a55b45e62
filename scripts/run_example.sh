#!/usr/bin/env bash
# One command from a fresh Debian machine to the main job: installs the
# dependencies, builds, and runs `edgenas local` on the Fashion-MNIST NB201
# example (coordinator, one worker and one device agent on this machine,
# results in an embedded SQLite file). Extra arguments go to `edgenas local`.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/install_deps.sh"
"$root/scripts/build.sh" edgenas edgenas-coordinator edgenas-worker edgenas-agent
exec "${EDGENAS_BUILD_DIR:-$root/build}/bin/edgenas" local \
  "$root/examples/fashion_mnist_nb201.yaml" "$@"
