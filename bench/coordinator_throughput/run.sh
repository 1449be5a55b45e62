#!/usr/bin/env bash
# bench/coordinator_throughput/run.sh: runs the coordinator throughput
# benchmark (throughput_bench, the real edgenas-coordinator on loopback) and
# its Optuna peer (optuna_peer.py, ask/tell on SQLite) for the same executor
# counts and window, then prints both tables again one after the other,
# coordinator first (each program's details stay above them). Prints
# figures only; never passes or fails on time. Builds nothing: the binaries
# come from ${EDGENAS_BUILD_DIR:-build}/bin (build them with
#   ninja -C build edgenas-coordinator throughput_bench).
#
# Usage, from anywhere:
#   bench/coordinator_throughput/run.sh [--executors=1,16,256,1000] [--seconds=10]
#       [--warmup_seconds=2] [--seed=1] [--db_dir=DIR]
#       [--max_tasks=4] [--wait_ms=1000] [--coordinator_args="--max_threads=256"]  (C++ only)
#       [--max_procs=N] [--sqlite_modes=default,wal]                              (Optuna only)
#   bench/coordinator_throughput/run.sh 1,16,256,1000 10      (levels, seconds)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "${here}/../.." && pwd)"
build_dir="${EDGENAS_BUILD_DIR:-build}"
[[ "${build_dir}" = /* ]] || build_dir="${root}/${build_dir}"
bin_dir="${build_dir}/bin"
python=/usr/bin/python3  # Debian's, with python3-optuna (not a pyenv shim)

executors="1,16,256,1000"
seconds=10
common=()   # flags both programs take
cpp=()      # throughput_bench only
peer=()     # optuna_peer.py only
db_dir=""

positional=0
for arg in "$@"; do
  case "${arg}" in
    --executors=*) executors="${arg#*=}" ;;
    --seconds=*) seconds="${arg#*=}" ;;
    --warmup_seconds=*|--seed=*) common+=("${arg}") ;;
    --db_dir=*) db_dir="${arg#*=}" ;;
    --max_tasks=*|--wait_ms=*|--coordinator_args=*) cpp+=("${arg}") ;;
    --max_procs=*|--sqlite_modes=*) peer+=("${arg}") ;;
    -h|--help) sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --*) echo "run.sh: unknown flag ${arg} (see --help)" >&2; exit 2 ;;
    *)
      positional=$((positional + 1))
      case "${positional}" in
        1) executors="${arg}" ;;
        2) seconds="${arg}" ;;
        *) echo "run.sh: too many arguments (levels, seconds)" >&2; exit 2 ;;
      esac ;;
  esac
done

for b in edgenas-coordinator throughput_bench; do
  if [[ ! -x "${bin_dir}/${b}" ]]; then
    echo "run.sh: ${bin_dir}/${b} not found; build it (ninja -C ${build_dir} ${b})" \
         "or set EDGENAS_BUILD_DIR" >&2
    exit 2
  fi
done
if [[ -z "${db_dir}" ]]; then
  db_dir="$(mktemp -d /tmp/edgenas-throughput-XXXXXX)"
fi
mkdir -p "${db_dir}/coordinator" "${db_dir}/optuna"

status=0
echo "=== edgenas-coordinator (levels ${executors}, ${seconds} s each) ==="
"${bin_dir}/throughput_bench" \
  --coordinator_bin="${bin_dir}/edgenas-coordinator" \
  --executors="${executors}" --seconds="${seconds}" --db_dir="${db_dir}/coordinator" \
  ${common[@]+"${common[@]}"} ${cpp[@]+"${cpp[@]}"} | tee "${db_dir}/coordinator.txt" \
  || status=1

echo
echo "=== Optuna peer (levels ${executors}, ${seconds} s each) ==="
if ! "${python}" -c "import optuna" 2>/dev/null; then
  echo "skipped: ${python} cannot import optuna (apt-get install python3-optuna)"
else
  "${python}" "${here}/optuna_peer.py" \
    --executors="${executors}" --seconds="${seconds}" --db_dir="${db_dir}/optuna" \
    ${common[@]+"${common[@]}"} ${peer[@]+"${peer[@]}"} | tee "${db_dir}/optuna.txt" \
    || status=1
fi

# The two tables together: each runs from its header line to the end.
echo
echo "=== summary: edgenas-coordinator (${seconds} s windows) ==="
grep -m1 '^# machine' "${db_dir}/coordinator.txt" || true
sed -n '/^executors (W+A)/,$p' "${db_dir}/coordinator.txt"
if [[ -s "${db_dir}/optuna.txt" ]]; then
  echo
  echo "=== summary: Optuna peer (${seconds} s windows) ==="
  sed -n '/^sqlite  *| processes/,$p' "${db_dir}/optuna.txt"
fi
echo
echo "databases, coordinator logs, full outputs: ${db_dir}"
exit "${status}"
