#!/usr/bin/python3
"""Optuna peer for the C++ search-quality benchmark.

Runs an Optuna sampler over a NAS-Bench-201 lookup table and prints, per
seed, the ORDER of DISTINCT architecture strings it evaluated (JSON Lines on
stdout).  The C++ benchmark computes every quality metric from these traces,
so Optuna and the native strategies are scored identically.

Search space: six categorical parameters edge0..edge5 over the five NB201 op
names; edge order is node1<-0 | node2<-0, node2<-1 | node3<-0, node3<-1,
node3<-2, giving strings such as
  |nor_conv_3x3~0|+|nor_conv_3x3~0|none~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|

Budget counts distinct architecture strings.  When the sampler proposes a
string it already evaluated, the trial is told the same values again (so the
sampler learns) but does not count against the budget.  The run stops after
`budget` distinct strings or `budget * max_trials_factor` total trials (then a
warning goes to stderr and the partial trace is emitted).

Use the Debian interpreter (/usr/bin/python3), which has python3-optuna.
Exit code 2 on bad input (missing file, unknown column, non-numeric value,
architecture string absent from the table).
"""

import argparse
import csv
import json
import math
import sys
import time

OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
# Input node of each of the six edges, in NB201 string order.
EDGE_INPUTS = (0, 0, 1, 0, 1, 2)
NUM_EDGES = len(EDGE_INPUTS)
SAMPLERS = ("nsga2", "tpe", "random")


class PeerError(Exception):
    """Input error reported on stderr with exit code 2."""


def arch_string(ops):
    """Builds the NB201 string for six op names (edge0..edge5)."""
    if len(ops) != NUM_EDGES:
        raise ValueError("expected %d ops, got %d" % (NUM_EDGES, len(ops)))
    e = ["%s~%d" % (op, inp) for op, inp in zip(ops, EDGE_INPUTS)]
    return "|%s|+|%s|%s|+|%s|%s|%s|" % tuple(e)


def _parse_number(text, row_number, column):
    try:
        value = float(text)
    except (TypeError, ValueError):
        value = None
    if value is None or not math.isfinite(value):
        raise PeerError("non-numeric value %r in column '%s' at data row %d "
                        "(line %d of the file)"
                        % (text, column, row_number, row_number + 1))
    return value


def load_table(path, arch_column, value_columns):
    """Returns {arch string: tuple(float per value column)}."""
    try:
        f = open(path, newline="")
    except OSError as e:
        raise PeerError("cannot open table '%s': %s" % (path, e.strerror or e))
    with f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None:
            raise PeerError("table '%s' is empty (no header row)" % path)
        header = [h.strip() for h in header]
        index = {}
        for i, name in enumerate(header):
            index.setdefault(name, i)
        for column in [arch_column] + list(value_columns):
            if column not in index:
                raise PeerError("unknown column '%s' in '%s'; available: %s"
                                % (column, path, ", ".join(header)))
        arch_i = index[arch_column]
        value_is = [index[c] for c in value_columns]
        table = {}
        for row_number, row in enumerate(reader, start=1):
            if not row or all(not cell.strip() for cell in row):
                continue
            if len(row) < len(header):
                raise PeerError("data row %d of '%s' has %d fields, header "
                                "has %d" % (row_number, path, len(row),
                                            len(header)))
            arch = row[arch_i].strip()
            if arch in table:
                raise PeerError("duplicate architecture %r in column '%s' at "
                                "data row %d" % (arch, arch_column,
                                                 row_number))
            table[arch] = tuple(
                _parse_number(row[i].strip(), row_number, c)
                for i, c in zip(value_is, value_columns))
    if not table:
        raise PeerError("table '%s' has no data rows" % path)
    return table


def make_sampler(optuna, name, seed, population):
    if name == "nsga2":
        if population > 0:
            return optuna.samplers.NSGAIISampler(population_size=population,
                                                 seed=seed)
        return optuna.samplers.NSGAIISampler(seed=seed)
    if name == "tpe":
        return optuna.samplers.TPESampler(seed=seed)
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    raise ValueError("unknown sampler %r" % name)


def run_seed(table, sampler_name, seed, budget, max_trials_factor=50,
             population=0, multi_objective=False):
    """Runs one seed. Returns the result dict (archs in first-evaluated order)."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = make_sampler(optuna, sampler_name, seed, population)
    if multi_objective:
        study = optuna.create_study(directions=["maximize", "minimize"],
                                    sampler=sampler)
    else:
        study = optuna.create_study(direction="maximize", sampler=sampler)

    max_trials = budget * max_trials_factor
    seen = set()
    archs = []
    trials = 0
    start = time.perf_counter()
    while len(archs) < budget and trials < max_trials:
        trial = study.ask()
        ops = [trial.suggest_categorical("edge%d" % i, OPS)
               for i in range(NUM_EDGES)]
        arch = arch_string(ops)
        values = table.get(arch)
        if values is None:
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
            raise PeerError("architecture %r is not in the table" % arch)
        trials += 1
        if arch not in seen:
            seen.add(arch)
            archs.append(arch)
        if multi_objective:
            study.tell(trial, [values[0], values[1]])
        else:
            study.tell(trial, values[0])
    seconds = time.perf_counter() - start
    if len(archs) < budget:
        print("warning: sampler=%s seed=%d stopped after %d trials with %d of "
              "%d distinct architectures" % (sampler_name, seed, trials,
                                             len(archs), budget),
              file=sys.stderr)
    return {"sampler": sampler_name, "seed": seed, "trials": trials,
            "seconds": round(seconds, 6), "archs": archs}


def parse_seeds(text):
    seeds = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            seeds.append(int(part))
        except ValueError:
            raise argparse.ArgumentTypeError("bad seed %r" % part)
    if not seeds:
        raise argparse.ArgumentTypeError("no seeds given")
    return seeds


def positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("not an integer: %r" % text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be positive: %r" % text)
    return value


def non_negative_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("not an integer: %r" % text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be >= 0: %r" % text)
    return value


def build_parser():
    p = argparse.ArgumentParser(
        description="Run Optuna on a NAS-Bench-201 table; print the order of "
                    "distinct architectures evaluated (JSON Lines, one per "
                    "seed).")
    p.add_argument("--table", required=True, help="CSV with a header row")
    p.add_argument("--accuracy", required=True,
                   help="column to maximize")
    p.add_argument("--latency", default=None,
                   help="column to minimize (makes the study multi-objective)")
    p.add_argument("--arch_column", default="arch",
                   help="column holding NB201 strings (default: arch)")
    p.add_argument("--sampler", required=True, choices=SAMPLERS)
    p.add_argument("--seeds", required=True, type=parse_seeds,
                   help="comma-separated list, e.g. 0,1,2")
    p.add_argument("--budget", required=True, type=positive_int,
                   help="distinct architectures to evaluate per seed")
    p.add_argument("--max_trials_factor", type=positive_int, default=50,
                   help="stop after budget*factor total trials (default 50)")
    p.add_argument("--population", type=non_negative_int, default=0,
                   help="NSGA-II population size (0 = optuna default)")
    return p


def main(argv=None):
    args = build_parser().parse_args(argv)
    columns = [args.accuracy]
    if args.latency is not None:
        columns.append(args.latency)
    try:
        table = load_table(args.table, args.arch_column, columns)
        for seed in args.seeds:
            result = run_seed(table, args.sampler, seed, args.budget,
                              max_trials_factor=args.max_trials_factor,
                              population=args.population,
                              multi_objective=args.latency is not None)
            sys.stdout.write(json.dumps(result) + "\n")
            sys.stdout.flush()
    except PeerError as e:
        print("optuna_peer: error: %s" % e, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
