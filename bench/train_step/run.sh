#!/usr/bin/env bash
# Runs bench/train_step in C++ (LibTorch, through the worker's TrainAndEvaluate)
# and in Python (PyTorch) with the same settings, and prints a side-by-side
# table. Builds nothing: build the `train_step` target first.
#
#   bench/train_step/run.sh [--build_dir ./build] [--threads 1,2] [--device cpu|cuda]
#       [--rounds 1] [--python /usr/bin/python3] [--out DIR]
#       [any train_step flag: --steps 200 --repeats 3 ...]
#
# --threads takes a list; for each count, C++ then Python run --rounds times,
# alternating (on a shared machine, --rounds 3 --repeats 1 spreads load drift
# over both sides); figures are medians over all their repeats. Other flags
# (--name=value or --name value) go to both programs unchanged. The Python
# network must have the C++ network's parameter count (--expect_params).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build_dir=./build
threads="$(nproc)"
device=cpu
python="${PYTHON:-/usr/bin/python3}"
out=""
rounds=1
common=()
while [[ $# -gt 0 ]]; do
  arg="$1"
  name="${arg%%=*}"
  if [[ "$arg" == *=* ]]; then
    value="${arg#*=}"
    shift
  else
    value="${2:-}"
    shift 2 || shift
  fi
  case "$name" in
    --build_dir) build_dir="$value" ;;
    --threads) threads="$value" ;;
    --device) device="$value" ;;
    --python) python="$value" ;;
    --out) out="$value" ;;
    --rounds) rounds="$value" ;;
    --json) echo "run.sh: use --out DIR (it keeps every JSON file)" >&2; exit 2 ;;
    --help|-h) sed -n '2,14p' "$0"; exit 0 ;;
    --*) common+=("$name=$value") ;;
    *) echo "run.sh: unexpected argument $arg" >&2; exit 2 ;;
  esac
done
bin="$build_dir/bin/train_step"
if [[ ! -x "$bin" ]]; then
  echo "run.sh: $bin not found; build it first (scripts/build.sh train_step) or pass --build_dir" >&2
  exit 2
fi
if [[ -z "$out" ]]; then out="$(mktemp -d -t train_step.XXXXXX)"; fi
mkdir -p "$out"

jsons=()
for t in ${threads//,/ }; do
  for ((r = 1; r <= rounds; r++)); do
    cpp_json="$out/cpp_t${t}_r$r.json"
    py_json="$out/python_t${t}_r$r.json"
    echo "== threads $t, round $r/$rounds: C++ ($bin)"
    "$bin" --threads="$t" --device="$device" --json="$cpp_json" "${common[@]}"
    params="$("$python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["params"])' "$cpp_json")"
    echo "== threads $t, round $r/$rounds: Python ($python $here/train_step.py)"
    "$python" "$here/train_step.py" --threads="$t" --device="$device" --json="$py_json" \
      --expect_params="$params" "${common[@]}"
    jsons+=("$cpp_json" "$py_json")
  done
done

"$python" - "$device" "${jsons[@]}" <<'PY'
import json, platform, statistics, sys
device, paths = sys.argv[1], sys.argv[2:]
runs = [json.load(open(path)) for path in paths]
groups = {}  # threads -> impl -> [runs]
for run in runs:
    groups.setdefault(run["threads"], {}).setdefault(run["impl"], []).append(run)
c0 = next(r for r in runs if r["impl"] == "libtorch")
p0 = next(r for r in runs if r["impl"] == "pytorch")
rounds = len(groups[c0["threads"]]["libtorch"])
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
            if l.startswith("model name")), "?")
print()
print(f"train_step: {c0['arch']}, channels {c0['channels']}, cells/stage {c0['cells_per_stage']}, "
      f"batch {c0['batch_size']}, {c0['steps']} steps; median of {rounds} round(s) x "
      f"{c0['repeats']} repeat(s) per side (C++ and Python alternate by round), "
      f"{c0['warmup_steps']} warm-up steps per process, seed {c0['seed']}, Fashion-MNIST "
      f"({c0['train_examples']} training images in memory)")
print(f"C++: LibTorch {c0['torch_version']} via TrainAndEvaluate; Python: PyTorch "
      f"{p0['torch_version']} ({platform.python_implementation()} {platform.python_version()}); "
      f"device {device}; host {platform.node()}, {cpu}")
print()
print("| threads | device | params (C++ = Python) | images/s C++ | images/s Python "
      "| ms/step C++ (min-max) | ms/step Python (min-max) | C++/Python time "
      "| final loss C++ / Python |")
print("|---|---|---|---|---|---|---|---|---|")
same_init = True
for threads, by_impl in groups.items():
    fig = {}
    for impl, rs in by_impl.items():
        secs = [s for r in rs for s in r["repeat_seconds"]]
        steps, batch = rs[0]["steps"], rs[0]["batch_size"]
        med = statistics.median(secs)
        fig[impl] = dict(med=med, ips=batch * steps / med, ms=1e3 * med / steps,
                         lo=1e3 * min(secs) / steps, hi=1e3 * max(secs) / steps,
                         params=rs[0]["params"], loss=rs[0]["final_loss"][0],
                         init=rs[0]["init_checksum"], device=rs[0]["device"])
    c, p = fig["libtorch"], fig["pytorch"]
    same_init &= abs(c["init"] - p["init"]) <= 1e-9 * abs(c["init"])
    same = "yes" if c["params"] == p["params"] else "NO"
    print(f"| {threads} | {c['device']} | {c['params']} ({same}) | {c['ips']:.1f} | {p['ips']:.1f} "
          f"| {c['ms']:.2f} ({c['lo']:.2f}-{c['hi']:.2f}) "
          f"| {p['ms']:.2f} ({p['lo']:.2f}-{p['hi']:.2f}) "
          f"| {c['med'] / p['med']:.3f} | {c['loss']:.4f} / {p['loss']:.4f} |")
print()
print("C++/Python time = median C++ seconds / median Python seconds (<= 1.0: C++ is no slower).")
print(f"initial weights identical on both sides (checksum of |w|): {'yes' if same_init else 'NO'}")
PY
echo "JSON files: $out"
