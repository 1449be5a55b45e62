#!/usr/bin/env bash
# The aarch64 edgenas-agent (scripts/cross_build_arm64.sh) run under
# qemu-user against this build's coordinator on loopback: a latency-only job
# submitted with the edgenas CLI must end DONE with a latency_ms measured by
# the arm64 agent's LibTorch runner, and the measurement must say it was
# taken on an aarch64 machine under emulation (DeviceDescriptor.machine,
# .emulated -- detected by the agent itself, no flag passed). Then SIGTERM
# must stop the agent cleanly (exit 0: lease released, see executor_loop).
#
# Usage: arm64_agent_test.sh BIN_DIR SOURCE_DIR
#   BIN_DIR     the host build's bin/ (edgenas-coordinator, edgenas)
#   SOURCE_DIR  the checkout (the arm64 build is SOURCE_DIR/build-arm64
#               unless $EDGENAS_ARM64_BUILD_DIR says otherwise)
# Exit 77 (CTest: skipped) when the cross build, its sysroot or qemu is absent;
# with EDGENAS_ARM64_REQUIRED=1 (.ci/run, after the cross build) that fails.
set -euo pipefail
bin="${1:?usage: arm64_agent_test.sh BIN_DIR SOURCE_DIR}"
src="${2:?usage: arm64_agent_test.sh BIN_DIR SOURCE_DIR}"
arm64_build="${EDGENAS_ARM64_BUILD_DIR:-$src/build-arm64}"
agent="$arm64_build/bin/edgenas-agent"
sysroot="${EDGENAS_ARM64_SYSROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/edgenas/arm64-sysroot}"
device_class="qemu-arm64"

skip() {
  if [ "${EDGENAS_ARM64_REQUIRED:-0}" = 1 ]; then echo "FAIL (EDGENAS_ARM64_REQUIRED=1): $*"; exit 1; fi
  echo "SKIP: $*"; exit 77
}
fail() { echo "FAIL: $*"; exit 1; }
[ -x "$agent" ] || skip "no arm64 agent at $agent (run scripts/cross_build_arm64.sh)"
[ -f "$sysroot/.edgenas-sysroot" ] || skip "no arm64 sysroot at $sysroot (scripts/cross_build_arm64.sh)"
qemu="$(command -v qemu-aarch64-static || command -v qemu-aarch64 || true)"
[ -n "$qemu" ] || skip "qemu-aarch64-static not installed (Debian qemu-user-static)"
for b in edgenas-coordinator edgenas; do
  [ -x "$bin/$b" ] || fail "missing host binary $bin/$b (build the default targets first)"
done
command -v python3 >/dev/null || fail "python3 is needed to read the front's JSON"

work="$(mktemp -d "${TMPDIR:-/tmp}/edgenas-arm64-test.XXXXXX")"
coordinator_pid=""
agent_pid=""
cleanup() {
  # Only the two processes this script started.
  for pid in $agent_pid $coordinator_pid; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in $agent_pid $coordinator_pid; do
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
show_logs() {
  echo "--- coordinator log (tail)"; tail -n 30 "$work/coordinator.log" || true
  echo "--- agent log (tail)"; tail -n 60 "$work/agent.log" || true
}

# waits up to $2 seconds for the shell test $1 (a string for eval, so written
# in single quotes: expanded at each try) to hold.
wait_for() {
  local cond="$1" seconds="$2" i
  for ((i = 0; i < seconds * 5; i++)); do
    if eval "$cond"; then return 0; fi
    sleep 0.2
  done
  return 1
}

"$bin/edgenas-coordinator" --listen=127.0.0.1:0 --port_file="$work/port" \
  --db="$work/edgenas.db" --metrics_listen=off >"$work/coordinator.log" 2>&1 &
coordinator_pid=$!
# shellcheck disable=SC2016
wait_for '[ -s "$work/port" ]' 60 || { show_logs; fail "coordinator wrote no port file in 60 s"; }
address="127.0.0.1:$(cat "$work/port")"

# QEMU_LD_PREFIX: the arm64 loader and libraries come from the sysroot.
QEMU_LD_PREFIX="$sysroot" "$qemu" "$agent" --coordinator="$address" \
  --device_class="$device_class" --name=arm64-under-qemu --metrics_listen=off \
  >"$work/agent.log" 2>&1 &
agent_pid=$!
# LibTorch's start-up under emulation takes seconds (about 10 s here).
# shellcheck disable=SC2016
wait_for 'grep -qs "registered executor_id" "$work/agent.log" || ! kill -0 $agent_pid 2>/dev/null' 300 ||
  { show_logs; fail "the arm64 agent did not register within 300 s"; }
kill -0 "$agent_pid" 2>/dev/null || { show_logs; fail "the arm64 agent exited before registering"; }

cat >"$work/job.yaml" <<EOF
# Latency only: no worker is needed, the arm64 agent measures the candidate.
name: arm64-agent-under-qemu
space: {name: nb201, options: {cells_per_stage: 1, channels: 8}}
strategy: {name: random}
objectives:
  - {metric: latency_ms, direction: minimize, device_class: $device_class}
latency: {warmup_ms: 20, min_runs: 5, max_runs: 10, threads: 1, batch_size: 1}
budget: {max_evaluations: 1, max_wall_seconds: 600}
parallelism: 1
seed: 3
max_attempts: 1
lease_seconds: 120
EOF
job="$("$bin/edgenas" submit "$work/job.yaml" --coordinator="$address")" ||
  { show_logs; fail "edgenas submit failed"; }
echo "submitted $job"
if ! "$bin/edgenas" watch "$job" --coordinator="$address" >"$work/watch.log" 2>&1; then
  cat "$work/watch.log"; show_logs; fail "job $job did not end DONE"
fi
tail -n 1 "$work/watch.log"
"$bin/edgenas" pareto "$job" --json --coordinator="$address" >"$work/front.json" ||
  { show_logs; fail "edgenas pareto failed"; }

# The front's one candidate: DONE, latency_ms from the arm64 LibTorch runner,
# labelled aarch64 and emulated.
if ! python3 - "$work/front.json" "$device_class" <<'EOF'
import json, sys
front = json.load(open(sys.argv[1]))
device_class = sys.argv[2]
problems = []
candidates = front.get("candidates", [])
if len(candidates) != 1:
    problems.append(f"expected 1 candidate, got {len(candidates)}")
for c in candidates:
    if c.get("state") != "CANDIDATE_DONE":
        problems.append(f"candidate {c.get('id')} is {c.get('state')}")
    lat = [m for m in c.get("metrics", []) if m.get("name") == "latency_ms"]
    if len(lat) != 1:
        problems.append(f"candidate {c.get('id')}: {len(lat)} latency_ms metrics")
        continue
    m = lat[0]
    d = m.get("device", {})
    print(f"latency_ms {m.get('value')} source {m.get('source')} method: {m.get('method')}")
    print(f"device: {json.dumps(d, sort_keys=True)}")
    checks = [
        (m.get("value", 0) > 0, "latency_ms must be > 0"),
        (m.get("source") == "agent:libtorch-cpu", "source must be agent:libtorch-cpu"),
        (m.get("device_class") == device_class, f"device_class must be {device_class}"),
        (bool(m.get("method")), "method must say how it was measured"),
        (d.get("machine") == "aarch64", "device.machine must be aarch64"),
        (d.get("emulated") is True, "device.emulated must be true"),
        (d.get("runner") == "libtorch-cpu", "device.runner must be libtorch-cpu"),
    ]
    problems += [why for ok, why in checks if not ok]
for p in problems:
    print("problem:", p)
sys.exit(1 if problems else 0)
EOF
then
  show_logs; fail "the measurement is not what an emulated arm64 agent reports"
fi
grep -q "EMULATED" "$work/agent.log" || { show_logs; fail "the agent's device line does not say EMULATED"; }

# SIGTERM: the agent stops its loop and exits 0.
kill -TERM "$agent_pid"
status=0
wait "$agent_pid" || status=$?
agent_pid=""
[ "$status" -eq 0 ] || { show_logs; fail "the arm64 agent exited $status on SIGTERM"; }
echo "PASS: arm64 agent under $(basename "$qemu") measured a candidate, labelled emulated aarch64"
