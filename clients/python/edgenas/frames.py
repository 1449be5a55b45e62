"""pandas DataFrames of candidates, shaped like Optuna's trials_dataframe().

One row per candidate, ordered by `number`:

  number, id, state, arch, created, finished, duration,
  metrics.<name>                  the value the search ranks the candidate by
  metrics.<name>.source           e.g. "worker:full_train:cpu", "agent:libtorch-cpu"
  metrics.<name>.fidelity         rung (0 = first or only; -1 finalist's full training)
  metrics.<name>.unstable         the agent's measurement stayed unstable
  metrics.<name>.std_error        standard error over validation batches (NaN: not estimated)
  failure_reason, notes

A metric measured on several device classes in one job gets one column per
class, `metrics.<name>@<device_class>` (as `edgenas pareto` heads them).
Objectives come first, in the job's order, then other metrics by name.
"""
import math

import pandas as pd

from edgenas.types import candidate_state_name, search_metric

BASE_COLUMNS = ["number", "id", "state", "arch", "created", "finished", "duration"]
METRIC_ATTRIBUTES = ["source", "fidelity", "unstable", "std_error"]
TAIL_COLUMNS = ["failure_reason", "notes"]


def _metric_keys(candidates, objectives):
    """(name, device_class, label) for every metric the candidates carry."""
    pairs = {}
    for c in candidates:
        for m in c.metrics:
            pairs.setdefault((m.name, m.device_class), None)
    classes = {}
    for name, device_class in pairs:
        classes.setdefault(name, set()).add(device_class)
    ordered = []
    for objective in objectives:
        for pair in pairs:
            wanted = objective.device_class
            if (pair[0] == objective.metric and pair not in ordered
                    and (not wanted or not pair[1] or pair[1] == wanted)):
                ordered.append(pair)
    ordered += sorted(p for p in pairs if p not in ordered)
    keys = []
    for name, device_class in ordered:
        label = f"metrics.{name}"
        if len(classes[name]) > 1 and device_class:
            label += f"@{device_class}"
        keys.append((name, device_class, label))
    return keys


def _timestamp(ms):
    return pd.Timestamp(ms, unit="ms", tz="UTC") if ms else pd.NaT


def candidates_frame(candidates, objectives=(), fidelity=None):
    """A DataFrame of `candidates` (v1.Candidate messages); `objectives`
    (v1.Objective) order the metric columns; `fidelity` prefers values of
    that fidelity (see types.search_metric)."""
    candidates = sorted(candidates, key=lambda c: c.sequence)
    keys = _metric_keys(candidates, objectives)
    value_columns = [label for _, _, label in keys]
    attribute_columns = [f"{label}.{a}" for _, _, label in keys for a in METRIC_ATTRIBUTES]
    columns = BASE_COLUMNS + value_columns + attribute_columns + TAIL_COLUMNS
    rows = []
    for c in candidates:
        created, finished = _timestamp(c.created_unix_ms), _timestamp(c.finished_unix_ms)
        row = {"number": c.sequence, "id": c.id, "state": candidate_state_name(c.state),
               "arch": c.arch, "created": created, "finished": finished,
               "duration": None,  # finished - created, computed on the whole column below
               "failure_reason": c.failure_reason, "notes": list(c.notes)}
        for name, device_class, label in keys:
            m = search_metric(c, name, device_class, fidelity)
            row[label] = m.value if m is not None else math.nan
            row[f"{label}.source"] = m.source if m is not None else None
            row[f"{label}.fidelity"] = m.fidelity if m is not None else None
            row[f"{label}.unstable"] = m.unstable if m is not None else None
            row[f"{label}.std_error"] = (m.std_error if m is not None and m.std_error
                                         else math.nan)
        rows.append(row)
    frame = pd.DataFrame(rows, columns=columns)
    dtypes = {"number": "int64", "id": "object", "state": "object", "arch": "object",
              "created": "datetime64[ns, UTC]", "finished": "datetime64[ns, UTC]",
              "failure_reason": "object", "notes": "object"}
    for _, _, label in keys:
        dtypes[label] = "float64"
        dtypes[f"{label}.source"] = "object"
        dtypes[f"{label}.fidelity"] = "Int64"
        dtypes[f"{label}.unstable"] = "boolean"
        dtypes[f"{label}.std_error"] = "float64"
    frame = frame.astype(dtypes)
    frame["duration"] = frame["finished"] - frame["created"]  # NaT while unfinished
    return frame
