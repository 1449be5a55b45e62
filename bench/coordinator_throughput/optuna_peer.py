#!/usr/bin/python3
"""optuna_peer: the peer of throughput_bench, Optuna ask/tell on SQLite.

For each level N it creates a fresh SQLite file and a two-objective study
(maximize, minimize; RandomSampler, the analogue of the coordinator's "random"
strategy), starts N processes (multiprocessing, fork) that each loop
ask -> instant objective -> tell over the same six categorical choices as an
NB201 cell, and measures a window after a warm-up: trials/s and the p50/p99
latency of ask and tell. Errors (SQLite "database is locked" under many
processes) are counted by kind, never fatal. After the window it checks in the
database that every trial whose tell returned is stored COMPLETE with both
values. It prints figures; it never passes or fails on time.

Run with Debian's interpreter (python3-optuna), not a pyenv python3:
  /usr/bin/python3 bench/coordinator_throughput/optuna_peer.py --executors=1,16,256,1000 --seconds=10
"""

import argparse
import collections
import json
import math
import multiprocessing as mp
import os
import shutil
import signal
import sqlite3
import sys
import tempfile
import time
import warnings
import zlib

OPS = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]
EDGES = 6
READY_TIMEOUT_S = 180
MB_PER_PROCESS = 30  # private memory of one forked Optuna process (measured ~21 MB) + margin


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--executors", default="1,16,256,1000", help="comma-separated process counts")
    p.add_argument("--seconds", type=int, default=10, help="measured window per level")
    p.add_argument("--warmup_seconds", type=int, default=2, help="warm-up excluded from figures")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--db_dir", default="", help="folder for the SQLite files (default: temp dir)")
    p.add_argument("--sqlite_modes", default="default,wal",
                   help="default: Optuna as shipped (rollback journal, synchronous=FULL); "
                        "wal: journal_mode=WAL, synchronous=NORMAL, as the coordinator's store")
    p.add_argument("--max_procs", type=int, default=0,
                   help="cap on processes per level (default: what memory and pid limits allow)")
    args = p.parse_args()
    args.levels = [int(x) for x in args.executors.split(",") if x.strip()]
    args.modes = [m.strip() for m in args.sqlite_modes.split(",") if m.strip()]
    if not args.modes or any(m not in ("default", "wal") for m in args.modes):
        p.error("--sqlite_modes: a comma-separated list of default, wal")
    if not args.levels or min(args.levels) < 1 or args.seconds < 1 or args.warmup_seconds < 0:
        p.error("need positive --executors counts, --seconds >= 1, --warmup_seconds >= 0")
    return args


# ---------------------------------------------------------------- machine --

def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def mem_available_mb():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) // 1024
    return 0


def process_cap(requested_cap):
    """How many processes this machine can start: half the free memory, and
    the process limit with room to spare. Returns (cap, reason)."""
    if requested_cap > 0:
        return requested_cap, "--max_procs"
    by_memory = max(1, mem_available_mb() // 2 // MB_PER_PROCESS)
    import resource
    soft, _ = resource.getrlimit(resource.RLIMIT_NPROC)
    by_pids = by_memory if soft == resource.RLIM_INFINITY else max(1, soft // 2)
    cap = min(by_memory, by_pids)
    reason = ("memory: half of %d MB available / ~%d MB per process" %
              (mem_available_mb(), MB_PER_PROCESS)) if cap == by_memory else "RLIMIT_NPROC / 2"
    return cap, reason


def cpu_seconds(pid):
    """utime + stime of a process, or None when it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def private_mb(pid):
    """Private_Dirty of a process in MB (what fork does not share), or None."""
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                if line.startswith("Private_Dirty:"):
                    return int(line.split()[1]) / 1024.0
    except (OSError, ValueError, IndexError):
        pass
    return None


# ------------------------------------------------------------------ child --

def quiet_optuna():
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore")
    return optuna


def error_kind(exc):
    """Short kind of an exception, naming the SQLite cause Optuna wraps."""
    name = type(exc).__name__
    cause = exc.__cause__ or exc.__context__
    if cause is not None:
        name = "%s(%s)" % (name, type(cause).__name__)
        exc = cause
    text = str(exc).split("\n", 1)[0]
    if "database is locked" in text:
        text = "database is locked"
    return "%s: %s" % (name, text[:60])


def objective_values(trial_params, seed, number):
    """Instant, deterministic made-up results: accuracy 0.5-0.9, latency 1-10 ms."""
    key = repr((seed, number, sorted(trial_params.items()))).encode()
    u = zlib.crc32(key) / 4294967296.0
    return [0.5 + 0.4 * u, 1.0 + 9.0 * u]


def child_loop(study, distributions, seed, window, stats):
    """ask/tell until the window ends; records what started inside it."""
    t0, t1 = window
    while True:
        start = time.time()
        if start >= t1:
            return
        inside = t0 <= start < t1
        try:
            trial = study.ask(distributions)
        except Exception as exc:  # noqa: BLE001 - every failure is counted, none is fatal
            stats["errors"][("ask " + error_kind(exc))] += 1
            continue
        asked = time.time()
        values = objective_values(trial.params, seed, trial.number)
        try:
            study.tell(trial, values)
        except Exception as exc:  # noqa: BLE001
            stats["errors"][("tell " + error_kind(exc))] += 1
            continue
        told = time.time()
        stats["told"].append(trial._trial_id)
        stats["last_told"] = told
        if inside:
            stats["ask_ms"].append((asked - start) * 1e3)
            stats["tell_ms"].append((told - asked) * 1e3)
        if t0 <= told < t1:
            stats["trials_in_window"] += 1
        elif told >= t1:
            stats["trials_after_window"] += 1


def engine_kwargs(mode):
    """default: SQLAlchemy's own choice for a SQLite file (a new connection per
    session). wal: keep the connection, since closing the last connection to a
    WAL database checkpoints it with an fsync, which would undo the mode."""
    if mode != "wal":
        return {}
    import sqlalchemy.pool
    return {"poolclass": sqlalchemy.pool.QueuePool, "pool_size": 1}


def use_wal_sync_normal(storage):
    """synchronous is per connection (SQLAlchemy opens one per session for a
    SQLite file): set it on every new connection. WAL itself is set once."""
    import sqlalchemy

    def on_connect(dbapi_connection, _record):
        dbapi_connection.execute("PRAGMA synchronous=NORMAL")

    sqlalchemy.event.listen(storage.engine, "connect", on_connect)


def child_main(index, url, study_name, mode, seed, ready, go, window_value, out_path):
    """One peer process: load the study, wait for the start, loop, write stats."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    stats = {"errors": collections.Counter(), "told": [], "ask_ms": [], "tell_ms": [],
             "trials_in_window": 0, "trials_after_window": 0, "load_error": "",
             "last_told": 0.0}
    try:
        optuna = quiet_optuna()
        from optuna.distributions import CategoricalDistribution
        storage = optuna.storages.RDBStorage(url, engine_kwargs=engine_kwargs(mode),
                                             skip_table_creation=True,
                                             skip_compatibility_check=True)
        if mode == "wal":
            use_wal_sync_normal(storage)
        study = optuna.load_study(study_name=study_name, storage=storage,
                                  sampler=optuna.samplers.RandomSampler(seed=seed * 7919 + index))
        distributions = {"edge%d" % e: CategoricalDistribution(OPS) for e in range(EDGES)}
    except Exception as exc:  # noqa: BLE001
        stats["load_error"] = error_kind(exc)
    with ready.get_lock():
        ready.value += 1
    go.wait()
    if not stats["load_error"]:
        child_loop(study, distributions, seed, (window_value[0], window_value[1]), stats)
    stats["errors"] = dict(stats["errors"])
    with open(out_path, "w") as f:
        json.dump(stats, f)


# ----------------------------------------------------------------- parent --

def create_study(url, db_path, mode, seed):
    optuna = quiet_optuna()
    storage = optuna.storages.RDBStorage(url)
    if mode == "wal":
        con = sqlite3.connect(db_path)
        con.execute("PRAGMA journal_mode=WAL")  # persistent in the file
        con.close()
    study = optuna.create_study(storage=storage, study_name="peer",
                                directions=["maximize", "minimize"],
                                sampler=optuna.samplers.RandomSampler(seed=seed))
    storage.engine.dispose()  # no connection crosses the fork
    return study.study_name


def start_children(n, url, study_name, mode, seed, out_dir):
    ctx = mp.get_context("fork")
    ready = ctx.Value("i", 0)
    go = ctx.Event()
    window = ctx.Array("d", [0.0, 0.0])
    procs = []
    for i in range(n):
        p = ctx.Process(target=child_main,
                        args=(i, url, study_name, mode, seed, ready, go, window,
                              os.path.join(out_dir, "child-%d.json" % i)))
        try:
            p.start()
        except OSError as exc:
            print("   could not start process %d: %s" % (i, exc))
            break
        procs.append(p)
    return procs, ready, go, window


def wait_ready(ready, n):
    deadline = time.time() + READY_TIMEOUT_S
    while ready.value < n and time.time() < deadline:
        time.sleep(0.05)
    return ready.value


def stop_children(procs, t1):
    for p in procs:
        p.join(timeout=max(1.0, t1 + 30 - time.time()))
    killed = 0
    for p in procs:
        if p.is_alive():
            p.kill()
            p.join()
            killed += 1
    return killed


def read_child_stats(out_dir, n):
    merged = {"errors": collections.Counter(), "told": [], "ask_ms": [], "tell_ms": [],
              "trials_in_window": 0, "trials_after_window": 0,
              "load_errors": collections.Counter(), "no_report": 0,
              "last_told": 0.0}
    for i in range(n):
        try:
            with open(os.path.join(out_dir, "child-%d.json" % i)) as f:
                s = json.load(f)
        except (OSError, ValueError):
            merged["no_report"] += 1
            continue
        merged["errors"].update(s["errors"])
        merged["told"].extend(s["told"])
        merged["ask_ms"].extend(s["ask_ms"])
        merged["tell_ms"].extend(s["tell_ms"])
        merged["trials_in_window"] += s["trials_in_window"]
        merged["trials_after_window"] += s["trials_after_window"]
        merged["last_told"] = max(merged["last_told"], s["last_told"])
        if s["load_error"]:
            merged["load_errors"][s["load_error"]] += 1
    return merged


def verify_stored(db_path, told):
    """Told trials that are COMPLETE with both values, read-only."""
    con = sqlite3.connect("file:%s?mode=ro" % db_path, uri=True, timeout=30)
    rows = con.execute(
        "SELECT t.trial_id FROM trials t JOIN trial_values v ON v.trial_id = t.trial_id "
        "WHERE t.state = 'COMPLETE' GROUP BY t.trial_id HAVING COUNT(*) = 2").fetchall()
    complete_total = con.execute(
        "SELECT COUNT(*) FROM trials WHERE state = 'COMPLETE'").fetchone()[0]
    con.close()
    stored_ids = {r[0] for r in rows}
    stored = sum(1 for t in told if t in stored_ids)
    return stored, len(told) - stored, complete_total


def percentile(values, p):
    if not values:
        return float("nan")
    v = sorted(values)
    return v[max(0, math.ceil(p / 100.0 * len(v)) - 1)]


def run_level(args, mode, n_requested, cap):
    n = min(n_requested, cap)
    db_path = os.path.join(args.db_dir, "optuna-%s-%d.db" % (mode, n_requested))
    out_dir = os.path.join(args.db_dir, "optuna-%s-%d" % (mode, n_requested))
    for path in (db_path, db_path + "-journal", db_path + "-wal", db_path + "-shm"):
        if os.path.exists(path):
            os.remove(path)
    shutil.rmtree(out_dir, ignore_errors=True)
    os.makedirs(out_dir)
    os.sync()  # the previous level's dirty pages must not be written back on this one's time
    url = "sqlite:///" + db_path
    study_name = create_study(url, db_path, mode, args.seed)
    spawn_at = time.time()
    procs, ready, go, window = start_children(n, url, study_name, mode, args.seed, out_dir)
    started = len(procs)
    ready_n = wait_ready(ready, started)
    startup_s = time.time() - spawn_at
    t0 = time.time() + args.warmup_seconds
    t1 = t0 + args.seconds
    window[0], window[1] = t0, t1
    go.set()
    time.sleep(max(0.0, t0 - time.time()))
    cpu0 = {p.pid: cpu_seconds(p.pid) for p in procs}
    time.sleep(max(0.0, t1 - time.time()))
    cpu1 = {p.pid: cpu_seconds(p.pid) for p in procs}
    mems = [m for m in (private_mb(p.pid) for p in procs[:8]) if m is not None]
    killed = stop_children(procs, t1)
    drain_s = time.time() - t1
    used = sum(cpu1[pid] - cpu0[pid] for pid in cpu0
               if cpu0[pid] is not None and cpu1.get(pid) is not None)
    m = read_child_stats(out_dir, started)
    stored, missing, complete_total = verify_stored(db_path, m["told"])
    shutil.rmtree(out_dir, ignore_errors=True)
    return {
        "mode": mode, "requested": n_requested, "n": n, "started": started, "ready": ready_n,
        "killed": killed, "window_s": float(args.seconds),
        "trials_per_s": m["trials_in_window"] / float(args.seconds),
        "ask": (percentile(m["ask_ms"], 50), percentile(m["ask_ms"], 99)),
        "tell": (percentile(m["tell_ms"], 50), percentile(m["tell_ms"], 99)),
        "cpu_pct": 100.0 * used / args.seconds,
        "private_mb": sum(mems) / len(mems) if mems else float("nan"),
        "errors": m["errors"], "load_errors": m["load_errors"], "no_report": m["no_report"],
        "told": len(m["told"]), "stored": stored, "missing": missing,
        "complete_total": complete_total, "db": db_path, "startup_s": startup_s,
        "drain_s": drain_s, "told_after_window": m["trials_after_window"],
        "last_told_after_s": max(0.0, m["last_told"] - t1),
    }


def print_details(r, cap_reason):
    capped = ""
    if r["n"] < r["requested"]:
        capped = "; capped at %d processes (%s)" % (r["n"], cap_reason)
    print("## sqlite %s, %d processes requested, %d started, %d ready%s" %
          (r["mode"], r["requested"], r["started"], r["ready"], capped))
    errors = ", ".join("%s=%d" % kv for kv in sorted(r["errors"].items())) or "none"
    print("   errors (in and after the window): %s" % errors)
    if r["load_errors"]:
        print("   processes that could not load the study: %s" % dict(r["load_errors"]))
    if r["no_report"] or r["killed"]:
        print("   processes without a report: %d (killed after the window: %d)" %
              (r["no_report"], r["killed"]))
    print("   start-up (fork + load_study) %.1f s; after the window: %d more tells (last %.1f s "
          "after its end), all processes done %.1f s after it" %
          (r["startup_s"], r["told_after_window"], r["last_told_after_s"], r["drain_s"]))
    print("   CPU of the Optuna processes over the window: %.0f%%; private memory %.1f MB per "
          "process (mean of up to 8)" % (r["cpu_pct"], r["private_mb"]))
    print("   told %d, stored %d, missing %d (COMPLETE trials in db %d); db %s" %
          (r["told"], r["stored"], r["missing"], r["complete_total"], r["db"]))
    sys.stdout.flush()


def fmt_pair(pair):
    return " / ".join("-" if math.isnan(x) else "%.2f" % x for x in pair)


def print_table(results):
    print()
    print("%-7s | %-17s | %9s | %17s | %17s | %9s | %-22s | %s" %
          ("sqlite", "processes (asked)", "trials/s", "ask p50/p99 ms", "tell p50/p99 ms", "CPU%",
           "told/stored/missing", "errors"))
    print("-" * 130)
    for r in results:
        who = "%d (%d)" % (r["n"], r["requested"])
        print("%-7s | %-17s | %9.1f | %17s | %17s | %9.0f | %-22s | %d" %
              (r["mode"], who, r["trials_per_s"], fmt_pair(r["ask"]), fmt_pair(r["tell"]), r["cpu_pct"],
               "%d/%d/%d" % (r["told"], r["stored"], r["missing"]),
               sum(r["errors"].values())))
    sys.stdout.flush()


def main():
    args = parse_args()
    if not args.db_dir:
        args.db_dir = tempfile.mkdtemp(prefix="optuna-peer-")
    os.makedirs(args.db_dir, exist_ok=True)
    optuna = quiet_optuna()
    import sqlalchemy
    cap, cap_reason = process_cap(args.max_procs)
    print("# Optuna %s (SQLAlchemy %s, SQLite %s) ask/tell peer, RandomSampler, "
          "directions maximize/minimize" %
          (optuna.__version__, sqlalchemy.__version__, sqlite3.sqlite_version))
    print("# machine: %s, %d logical cores; %d MB available; process cap %d (%s)" %
          (cpu_model(), os.cpu_count(), mem_available_mb(), cap, cap_reason))
    print("# window %d s after %d s warm-up; one fresh SQLite file per level in %s; no server" %
          (args.seconds, args.warmup_seconds, args.db_dir))
    print("# sqlite default = Optuna as shipped (rollback journal, synchronous=FULL: fsync per "
          "commit, a connection per session); wal = journal_mode=WAL, synchronous=NORMAL like "
          "the coordinator's store, one kept connection per process")
    print("# trial = ask + tell of one instant objective; latencies of calls started in "
          "the window; errors are counted, never fatal")
    sys.stdout.flush()
    results = []
    for mode in args.modes:
        for n in args.levels:
            results.append(run_level(args, mode, n, cap))
            print_details(results[-1], cap_reason)
    print_table(results)
    return 0 if all(r["missing"] == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
