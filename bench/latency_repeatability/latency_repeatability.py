#!/usr/bin/python3
"""bench/latency_repeatability: are the device agent's latency numbers
repeatable, and do they agree with PyTorch's own timer?

The same NB201 cells (drawn with --seed, or the first rows of --table) are
measured by two separate `edgenas local` runs (real coordinator, worker and
edgenas-agent processes; the agent pinned to its own core by `edgenas
local`), first with the worker idle (accuracy looked up in the NB201 table)
and then with the worker training every candidate beside the agent. For
each pair of runs: Kendall tau-b of the medians, the share of cells whose
medians agree within +-5% and +-10%, unstable counts and CVs. Then a few
cells are rebuilt in Python (nb201_torch.py, layer for layer the C++ model)
and timed with torch.utils.benchmark on the agent's core: the ratio of the
agent's median to PyTorch's.

Run with Debian's interpreter (python3-torch lives there; the `python3` on
PATH may be another one without it), from the repository root:
  /usr/bin/python3 bench/latency_repeatability/latency_repeatability.py
It prints figures; it never passes or fails on them.
"""
import argparse
import math
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import nb201_torch  # noqa: E402


def connected(genes):
    return any(nb201_torch.live_edges(genes))


def arch_text(genes):
    ops = nb201_torch.OPS
    g = genes
    return "|%s~0|+|%s~0|%s~1|+|%s~0|%s~1|%s~2|" % tuple(ops[i] for i in g)


def draw_cells(count, seed):
    """Distinct NB201 cells whose output depends on the input, drawn uniformly
    with random.Random(seed) (same list for the same seed)."""
    rng = random.Random(seed)
    seen, cells = set(), []
    while len(cells) < count:
        genes = [rng.randrange(5) for _ in range(6)]
        key = tuple(g if live else 0 for g, live in zip(genes, nb201_torch.live_edges(genes)))
        if not connected(genes) or key in seen:
            continue
        seen.add(key)
        cells.append(arch_text(genes))
    return cells


def table_cells(path, count, arch_column="arch"):
    import csv
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    cells = []
    for row in rows:
        genes = nb201_torch.parse_arch(row[arch_column])
        if connected(genes):
            cells.append(row[arch_column])
        if len(cells) == count:
            break
    return cells


def kendall_tau_b(x, y):
    n = len(x)
    conc = disc = ties_x = ties_y = 0
    for i in range(n):
        for j in range(i + 1, n):
            dx, dy = x[i] - x[j], y[i] - y[j]
            if dx == 0 and dy == 0:
                continue
            if dx == 0:
                ties_x += 1
            elif dy == 0:
                ties_y += 1
            elif (dx > 0) == (dy > 0):
                conc += 1
            else:
                disc += 1
    denom = math.sqrt((conc + disc + ties_x) * (conc + disc + ties_y))
    return (conc - disc) / denom if denom else float("nan")


def job_yaml(name, cells, table, train, args):
    lines = [
        "name: %s" % name,
        "space: {name: nb201, options: {channels: %d, cells_per_stage: %d}}"
        % (args.channels, args.cells_per_stage),
        "strategy: {name: random}",
        "objectives:",
        "  - {metric: accuracy, direction: maximize}",
        "  - {metric: latency_ms, direction: minimize, device_class: cpu}",
    ]
    if train:
        lines += [
            "evaluation: {mode: full_train, train_steps: %d, batch_size: 64, "
            "validation_examples: 256}" % args.train_steps,
        ]
    else:
        lines += [
            "evaluation:",
            "  mode: table",
            "  table: {path: %s, accuracy_column: cifar10_valid_acc_12ep}" % table,
        ]
    lines += [
        "latency: {warmup_ms: %d, min_runs: %d, max_runs: %d, max_measure_ms: %d, blocks: %d, "
        "target_ci_rel: %g, threads: 1, batch_size: 1}"
        % (args.warmup_ms, args.min_runs, args.max_runs, args.max_measure_ms, args.blocks,
           args.target_ci_rel),
        "budget: {max_evaluations: %d}" % len(cells),
        "parallelism: 2",
        "seed: 1",
        "max_attempts: 2",
        "lease_seconds: 120",
        "initial_architectures:",
    ]
    lines += ['  - "%s"' % c for c in cells]
    return "\n".join(lines) + "\n"


def run_local(edgenas, yaml_text, workdir, label, speed_reference="default"):
    os.makedirs(workdir, exist_ok=True)
    spec = os.path.join(workdir, "job.yaml")
    with open(spec, "w") as f:
        f.write(yaml_text)
    db = os.path.join(workdir, "run.db")
    if os.path.exists(db):
        os.remove(db)
    start = time.time()
    argv = [edgenas, "local", spec, "--db=" + db, "--workdir=" + workdir]
    # "default": edgenas local's own flags, as a new user runs it (the speed
    # reference is on there by default for the libtorch agent).
    if speed_reference == "on":
        argv.append("--agent_speed_reference")
    elif speed_reference == "off":
        argv.append("--no_agent_speed_reference")
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    elapsed = time.time() - start
    cores = [l for l in proc.stdout.splitlines() if l.startswith("cores:")]
    print("  %s: edgenas local exited %d after %.0f s; %s" %
          (label, proc.returncode, elapsed, cores[0] if cores else "(no cores line)"))
    if proc.returncode != 0:
        print("\n".join("    | " + l for l in proc.stdout.splitlines()[-15:]))
    con = sqlite3.connect(db)
    rows = con.execute(
        "SELECT c.arch, m.value, m.unstable, m.ci_low, m.ci_high, m.source, m.method FROM metrics m "
        "JOIN candidates c ON c.id = m.candidate_id WHERE m.name = 'latency_ms'").fetchall()
    cvs = dict(con.execute(
        "SELECT c.arch, m.value FROM metrics m JOIN candidates c ON c.id = m.candidate_id "
        "WHERE m.name = 'latency_cv'").fetchall())
    params = dict(con.execute(
        "SELECT c.arch, m.value FROM metrics m JOIN candidates c ON c.id = m.candidate_id "
        "WHERE m.name = 'params'").fetchall())
    con.close()
    out = {}
    for arch, value, unstable, lo, hi, source, method in rows:
        out[arch] = dict(median=value, unstable=bool(unstable), ci=(lo, hi), source=source,
                         cv=cvs.get(arch, float("nan")), params=params.get(arch))
        # With --agent_speed_reference the method line keeps the raw median.
        raw = re.search(r"raw median ([0-9.eE+-]+) ms", method or "")
        if raw:
            out[arch]["raw"] = float(raw.group(1))
    agent_core = None
    if cores and "agent measures on core(s) " in cores[0]:
        agent_core = cores[0].split("agent measures on core(s) ")[1].split(",")[0].split()[0]
    return out, agent_core


def compare(label, a, b, cells, key="median"):
    common = [c for c in cells if c in a and c in b and key in a[c] and key in b[c]]
    if len(common) < 2:
        print("%s: only %d cells measured in both runs" % (label, len(common)))
        return
    if key == "median" and all("raw" in a[c] and "raw" in b[c] for c in common):
        compare(label + " [raw wall clock, from the method lines]", a, b, cells, key="raw")
        label += " [normalised to the reference kernel]"
    x = [a[c][key] for c in common]
    y = [b[c][key] for c in common]
    rel = [abs(yi / xi - 1.0) for xi, yi in zip(x, y)]
    within5 = sum(r <= 0.05 for r in rel) / len(rel)
    within10 = sum(r <= 0.10 for r in rel) / len(rel)
    rel_sorted = sorted(rel)
    p90 = rel_sorted[min(len(rel) - 1, int(math.ceil(0.9 * len(rel))) - 1)]
    unstable = sum(a[c]["unstable"] for c in common) + sum(b[c]["unstable"] for c in common)
    cvs = [a[c]["cv"] for c in common] + [b[c]["cv"] for c in common]
    print("%s: %d cells; Kendall tau-b %.3f; within +-5%% %.0f%%, within +-10%% %.0f%%; "
          "90th pct |diff| %.1f%%, max %.1f%%; unstable %d of %d measurements; CV median %.3f "
          "max %.3f" % (label, len(common), kendall_tau_b(x, y), 100 * within5, 100 * within10,
                        100 * p90, 100 * rel_sorted[-1], unstable, 2 * len(common),
                        sorted(cvs)[len(cvs) // 2], max(cvs)))


def torch_side_by_side(cells, measured, core, args):
    import torch
    import torch.utils.benchmark as benchmark
    if core is not None:
        os.sched_setaffinity(0, {int(core)})
    torch.set_num_threads(1)
    torch.manual_seed(0)
    print("PyTorch %s (%s), torch.utils.benchmark blocked_autorange(min_run_time=%g s), "
          "1 thread%s:" % (torch.__version__, sys.executable, args.torch_seconds,
                          ", pinned to core %s" % core if core is not None else ""))
    ratios = []
    normalised_ratios = []
    for arch in cells[: args.torch_cells]:
        if arch not in measured:
            continue
        model = nb201_torch.Nb201Network(nb201_torch.parse_arch(arch), args.channels,
                                         args.cells_per_stage).eval()
        n_params = sum(p.numel() for p in model.parameters() if p.requires_grad)
        x = torch.randn(1, 1, 28, 28)
        with torch.no_grad():
            for _ in range(50):
                model(x)
            timer = benchmark.Timer(stmt="model(x)", globals={"model": model, "x": x},
                                    num_threads=1)
            m = timer.blocked_autorange(min_run_time=args.torch_seconds)
        torch_ms = m.median * 1e3
        # Raw wall clock when the agent normalised (PyTorch's timer does not);
        # the normalised ratio is printed beside it: the agent's run may have
        # been in another speed spell of a shared host than this timing.
        agent_ms = measured[arch].get("raw", measured[arch]["median"])
        normalised_ms = measured[arch]["median"] if "raw" in measured[arch] else None
        ratios.append(agent_ms / torch_ms)
        if normalised_ms is not None:
            normalised_ratios.append(normalised_ms / torch_ms)
        same = "params match" if measured[arch]["params"] == n_params else (
            "PARAMS DIFFER (agent %s, python %d)" % (measured[arch]["params"], n_params))
        print("  %s  agent %.4f ms  torch %.4f ms (IQR %.4f ms, %d runs)  ratio %.3f  %s" %
              (arch, agent_ms, torch_ms, m.iqr * 1e3, len(m.times) * m.number_per_run,
               agent_ms / torch_ms, same))
    if ratios:
        print("  ratio agent/torch: first cell %.3f, median over %d cells %.3f" %
              (ratios[0], len(ratios), sorted(ratios)[len(ratios) // 2]))
    if normalised_ratios:
        print("  ratio agent (normalised to its reference baseline)/torch: first cell %.3f, "
              "median over %d cells %.3f" %
              (normalised_ratios[0], len(normalised_ratios),
               sorted(normalised_ratios)[len(normalised_ratios) // 2]))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--bin", default="build/bin", help="folder with edgenas and its siblings")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--cells", type=int, default=30)
    p.add_argument("--table", default="",
                   help="take the first --cells connected cells of this CSV instead of a draw")
    p.add_argument("--nb201_table", default="../shared/data/nb201/nb201_pi5.csv",
                   help="accuracy table for the idle-worker runs (evaluation mode table)")
    p.add_argument("--channels", type=int, default=16)
    p.add_argument("--cells_per_stage", type=int, default=1)
    p.add_argument("--warmup_ms", type=int, default=1000)
    p.add_argument("--min_runs", type=int, default=20)
    p.add_argument("--max_runs", type=int, default=5000)
    p.add_argument("--max_measure_ms", type=int, default=3000)
    p.add_argument("--blocks", type=int, default=4)
    p.add_argument("--target_ci_rel", type=float, default=0.01)
    p.add_argument("--train_steps", type=int, default=60)
    p.add_argument("--skip_training", action="store_true", help="skip the worker-trains runs")
    p.add_argument("--torch_cells", type=int, default=5)
    p.add_argument("--torch_seconds", type=float, default=2.0)
    p.add_argument("--speed_reference", choices=["default", "on", "off"], default="default",
                   help="default: edgenas local's default flags (speed reference on for the "
                        "libtorch agent); on/off: --agent_speed_reference / "
                        "--no_agent_speed_reference. Normalised runs also compare the raw "
                        "medians (from the method lines)")
    p.add_argument("--workdir", default="", help="keep run folders here (default: a temp dir)")
    args = p.parse_args()

    edgenas = os.path.abspath(os.path.join(args.bin, "edgenas"))
    nb201_table = os.path.abspath(args.nb201_table)
    cells = (table_cells(args.table, args.cells) if args.table else draw_cells(args.cells, args.seed))
    workdir = args.workdir or tempfile.mkdtemp(prefix="latency_repeatability_")
    print("latency_repeatability: %d NB201 cells (%s), channels %d, %d cell(s)/stage, 28x28x1, "
          "batch 1, 1 thread; latency warmup %d ms, min_runs %d, blocks %d, target CI +-%g%%, "
          "max_measure_ms %d; edgenas local speed reference: %s; machine: %d CPUs online, "
          "load average %s" %
          (len(cells), "table " + args.table if args.table else "seed %d" % args.seed,
           args.channels, args.cells_per_stage, args.warmup_ms, args.min_runs, args.blocks,
           100 * args.target_ci_rel, args.max_measure_ms, args.speed_reference, os.cpu_count(),
           " ".join("%.2f" % v for v in os.getloadavg())))
    idle_yaml = job_yaml("repeat-idle", cells, nb201_table, False, args)
    sr = args.speed_reference
    idle1, core = run_local(edgenas, idle_yaml, os.path.join(workdir, "idle1"), "idle run 1", sr)
    idle2, _ = run_local(edgenas, idle_yaml, os.path.join(workdir, "idle2"), "idle run 2", sr)
    sources = sorted({v["source"] for v in idle1.values()})
    print("sources: %s" % ", ".join(sources))
    compare("worker idle, run 1 vs run 2", idle1, idle2, cells)
    if not args.skip_training:
        train_yaml = job_yaml("repeat-train", cells, nb201_table, True, args)
        tr1, _ = run_local(edgenas, train_yaml, os.path.join(workdir, "train1"), "training run 1",
                           sr)
        tr2, _ = run_local(edgenas, train_yaml, os.path.join(workdir, "train2"), "training run 2",
                           sr)
        compare("worker training beside, run 1 vs run 2", tr1, tr2, cells)
        compare("worker idle run 1 vs worker training run 1", idle1, tr1, cells)
    if args.torch_cells > 0:
        torch_side_by_side(cells, idle1, core, args)
    if not args.workdir:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
