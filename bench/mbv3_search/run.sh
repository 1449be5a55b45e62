#!/usr/bin/env bash
# The mbv3 example job (examples/fashion_mnist_mbv3.yaml) through `edgenas
# local` twice, with Bayesian optimisation and with random search, same
# budget, seed and spec otherwise; prints both fronts and their hypervolume.
# There is no NAS-Bench table for mbv3, so this is the space's search-quality
# check: real training, real latency on this machine, one seed per run
# (pass --seed and --evaluations to vary it). Latency is measured, so two
# runs differ by this machine's noise as well as by the strategy.
#   bench/mbv3_search/run.sh [--seed 1] [--evaluations 24] [--spec FILE] [--strategies bayesian,random]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
bin="${EDGENAS_BIN_DIR:-$root/build/bin}"
seed=1
evaluations=24
spec="$root/examples/fashion_mnist_mbv3.yaml"
strategies="bayesian,random"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seed) seed="$2"; shift 2 ;;
    --evaluations) evaluations="$2"; shift 2 ;;
    --spec) spec="$2"; shift 2 ;;
    --strategies) strategies="$2"; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
work="$(mktemp -d /tmp/mbv3_search.XXXXXX)"
echo "spec $spec, seed $seed, $evaluations evaluations, work folder $work"
declare -A hv
for strategy in ${strategies//,/ }; do
  run="$work/$strategy"
  mkdir -p "$run"
  # Same spec; only the strategy, seed, budget and name change. The
  # hypervolume reference is fixed (accuracy 0, latency 50 ms) so both runs
  # are scored against the same point.
  sed -e "s/^strategy:.*/strategy: {name: $strategy}/" \
      -e "s/^seed:.*/seed: $seed/" \
      -e "s/^name:.*/name: mbv3-search-$strategy/" \
      -e "s/max_evaluations: [0-9]*/max_evaluations: $evaluations/" \
      -e "s/{metric: latency_ms, direction: minimize, device_class: cpu}/{metric: latency_ms, direction: minimize, device_class: cpu, reference: 50}/" \
      -e "s/{metric: accuracy, direction: maximize}/{metric: accuracy, direction: maximize, reference: 0}/" \
      "$spec" > "$run/spec.yaml"
  echo "== $strategy"
  start=$(date +%s)
  "$bin/edgenas" local "$run/spec.yaml" --db="$run/local.db" --workdir="$run" | tee "$run/out.txt" | \
    sed -n '/^front/,$p'
  hv[$strategy]="$(grep -E '^hypervolume:' "$run/out.txt" | tail -1 | awk '{print $2}')"
  echo "$strategy: hypervolume ${hv[$strategy]:-none}, $(( $(date +%s) - start )) s"
done
echo "== summary (seed $seed, $evaluations evaluations)"
for strategy in ${strategies//,/ }; do echo "$strategy hypervolume ${hv[$strategy]:-none}"; done
