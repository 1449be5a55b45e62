"""Small read-only views of the API's messages (jobs, events, candidates).

Each keeps the message it was made from as `.proto` for anything not
copied out; states and event types are the enum names without their
prefix ("DONE", "CANDIDATE_DONE"), times are timezone-aware UTC datetimes
(None where the server sent 0, i.e. not yet).
"""
import dataclasses
import datetime
from typing import Dict, List, Optional

from edgenas.v1 import common_pb2, job_pb2, search_service_pb2

TERMINAL_JOB_STATES = ("DONE", "FAILED", "CANCELLED")


def from_unix_ms(ms):
    """A UTC datetime, or None for 0 (unset)."""
    if not ms:
        return None
    return datetime.datetime.fromtimestamp(ms / 1000.0, tz=datetime.timezone.utc)


def _strip(name, prefix):
    return name[len(prefix):] if name.startswith(prefix) else name


def job_state_name(value):
    return _strip(job_pb2.JobState.Name(value), "JOB_")


def candidate_state_name(value):
    return _strip(common_pb2.CandidateState.Name(value), "CANDIDATE_")


def event_type_name(value):
    return _strip(search_service_pb2.EventType.Name(value), "EVENT_")


def search_metric(candidate, name, device_class=None, fidelity=None):
    """The Metric of `name` (on `device_class` when given) that a candidate is
    ranked by, as cli/front_format.cc picks it: the highest rung's value
    (Metric.fidelity), the first stored among equals, never a finalist's
    full training (-1) when the search has a value. A metric measured only
    after the search (test_accuracy, fidelity -1) gives that value, as the
    CLI's candidates table shows it. With `fidelity`, the first value of
    exactly that fidelity wins when there is one (so -1 selects the
    finalists' values). None when there is no such value."""
    matching = [m for m in candidate.metrics
                if m.name == name and (device_class is None or m.device_class == device_class)]
    if fidelity is not None:
        for m in matching:
            if m.fidelity == fidelity:
                return m
    best = None
    for m in matching:
        if m.fidelity >= 0 and (best is None or m.fidelity > best.fidelity):
            best = m
    if best is None and matching:
        return matching[0]  # only post-search values (fidelity -1)
    return best


@dataclasses.dataclass(frozen=True)
class Candidate:
    """One architecture of a job and what is known about it."""
    id: str
    number: int                 # position in the job's order of suggestion
    state: str                  # PENDING, DONE, FAILED, INFEASIBLE, SCREENED
    arch: str
    metrics: Dict[str, float]   # name -> the value the search ranks by
    failure_reason: str
    notes: List[str]
    created: Optional[datetime.datetime]
    finished: Optional[datetime.datetime]
    proto: common_pb2.Candidate = dataclasses.field(repr=False)

    @classmethod
    def from_proto(cls, c):
        metrics = {}
        for name in dict.fromkeys(m.name for m in c.metrics):
            m = search_metric(c, name)
            if m is not None:
                metrics[name] = m.value
        return cls(id=c.id, number=c.sequence, state=candidate_state_name(c.state), arch=c.arch,
                   metrics=metrics, failure_reason=c.failure_reason, notes=list(c.notes),
                   created=from_unix_ms(c.created_unix_ms),
                   finished=from_unix_ms(c.finished_unix_ms), proto=c)


@dataclasses.dataclass(frozen=True)
class Job:
    """A job's record: its spec, state and counters."""
    id: str
    name: str
    state: str                  # PENDING, PREPARING, SEARCHING, FINALIZING, DONE, FAILED, CANCELLED
    message: str
    candidates_done: int
    candidates_failed: int
    candidates_pending: int
    hypervolume: float
    front_size: int
    reference_point: List[float]
    created: Optional[datetime.datetime]
    updated: Optional[datetime.datetime]
    spec: job_pb2.JobSpec = dataclasses.field(repr=False)
    proto: job_pb2.Job = dataclasses.field(repr=False)

    @property
    def ended(self):
        """True once the job is DONE, FAILED or CANCELLED."""
        return self.state in TERMINAL_JOB_STATES

    @classmethod
    def from_proto(cls, j):
        return cls(id=j.id, name=j.spec.name, state=job_state_name(j.state), message=j.message,
                   candidates_done=j.candidates_done, candidates_failed=j.candidates_failed,
                   candidates_pending=j.candidates_pending, hypervolume=j.hypervolume,
                   front_size=j.front_size, reference_point=list(j.reference_point),
                   created=from_unix_ms(j.created_unix_ms),
                   updated=from_unix_ms(j.updated_unix_ms), spec=j.spec, proto=j)


@dataclasses.dataclass(frozen=True)
class Event:
    """One event of WatchJob: a state change, a finished or failed candidate,
    or a change of the front, with the job's counters at that moment."""
    sequence: int
    job_id: str
    type: str                   # STATE_CHANGED, CANDIDATE_DONE, CANDIDATE_FAILED, FRONT_CHANGED
    time: Optional[datetime.datetime]
    job: Optional[Job]
    candidate: Optional[Candidate]
    proto: search_service_pb2.JobEvent = dataclasses.field(repr=False)

    @classmethod
    def from_proto(cls, e):
        return cls(sequence=e.sequence, job_id=e.job_id, type=event_type_name(e.type),
                   time=from_unix_ms(e.unix_ms),
                   job=Job.from_proto(e.job) if e.HasField("job") else None,
                   candidate=Candidate.from_proto(e.candidate) if e.HasField("candidate")
                   else None,
                   proto=e)
