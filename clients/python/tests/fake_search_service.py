"""A fake SearchService for the client's unit tests (tests only): jobs,
candidates and events held in memory, served on loopback by an in-process
gRPC server. ListJobs and ListCandidates follow the proto's contract (pages, state and
fidelity filters, NOT_FOUND, INVALID_ARGUMENT naming page_token) with a
small page size, so that paging is exercised; WatchJob can be scripted to
close early or break with UNAVAILABLE, so that reconnection is."""
from concurrent import futures

import grpc

from edgenas.v1 import search_service_pb2, search_service_pb2_grpc


class FakeSearchService(search_service_pb2_grpc.SearchServiceServicer):
    def __init__(self, page_size=3):
        self.jobs = {}           # id -> v1.Job
        self.candidates = {}     # job id -> [v1.Candidate]
        self.fronts = {}         # job id -> v1.ParetoFront
        self.events = {}         # job id -> [v1.JobEvent]
        # Per WatchJob call, in order: ("close", n) sends n events then ends
        # the stream; ("break", n) sends n then fails UNAVAILABLE; no entry
        # left: every remaining event, then the end.
        self.watch_script = []
        self.page_size = page_size
        self.repeat_token = False
        self.requests = []       # (method, request, metadata dict)

    def _record(self, method, request, context):
        self.requests.append((method, request, dict(context.invocation_metadata())))

    def _job(self, job_id, context):
        if job_id not in self.jobs:
            context.abort(grpc.StatusCode.NOT_FOUND, f"job_id: unknown job \"{job_id}\"")
        return self.jobs[job_id]

    def GetJob(self, request, context):
        self._record("GetJob", request, context)
        return self._job(request.job_id, context)

    def ListJobs(self, request, context):
        self._record("ListJobs", request, context)
        if not 0 <= request.page_size <= 1000:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "page_size: must be in [0, 1000]")
        try:
            offset = int(request.page_token) if request.page_token else 0
        except ValueError:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "page_token: malformed")
        jobs = list(self.jobs.values())
        if request.view == search_service_pb2.JOB_VIEW_SUMMARY:
            summaries = []
            for job in jobs:
                summary = type(job)()
                summary.CopyFrom(job)
                summary.spec.Clear()
                summary.spec.name = job.spec.name
                summary.spec.budget.CopyFrom(job.spec.budget)
                summaries.append(summary)
            jobs = summaries
        size = min(request.page_size or 100, self.page_size)
        next_offset = offset + size
        token = "" if next_offset >= len(jobs) else str(next_offset)
        if self.repeat_token and token:
            token = "0"
        return search_service_pb2.ListJobsResponse(jobs=jobs[offset:offset + size],
                                                   next_page_token=token)

    def GetParetoFront(self, request, context):
        self._record("GetParetoFront", request, context)
        self._job(request.job_id, context)
        return self.fronts[request.job_id]

    def ListCandidates(self, request, context):
        self._record("ListCandidates", request, context)
        self._job(request.job_id, context)
        if not 0 <= request.page_size <= 1000:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "page_size: must be in [0, 1000]")
        try:
            offset = int(request.page_token) if request.page_token else 0
        except ValueError:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "page_token: malformed")
        matching = [c for c in self.candidates[request.job_id]
                    if (not request.states or c.state in request.states)
                    and (not request.HasField("fidelity")
                         or any(m.fidelity == request.fidelity for m in c.metrics))]
        size = min(request.page_size or 100, self.page_size)
        page = matching[offset:offset + size]
        next_offset = offset + size
        token = "" if next_offset >= len(matching) else str(next_offset)
        if self.repeat_token and token:
            token = "0"
        return search_service_pb2.ListCandidatesResponse(
            candidates=page, next_page_token=token, total=len(matching))

    def WatchJob(self, request, context):
        self._record("WatchJob", request, context)
        self._job(request.job_id, context)
        pending = [e for e in self.events[request.job_id] if e.sequence > request.after_sequence]
        action, count = self.watch_script.pop(0) if self.watch_script else ("end", len(pending))
        for event in pending[:count]:
            yield event
        if action == "break":
            context.abort(grpc.StatusCode.UNAVAILABLE, "coordinator draining")


class FakeServer:
    """The fake on 127.0.0.1 with an OS-chosen port; stop() ends it."""

    def __init__(self, service):
        self.service = service
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        search_service_pb2_grpc.add_SearchServiceServicer_to_server(service, self.server)
        port = self.server.add_insecure_port("127.0.0.1:0")
        self.address = f"127.0.0.1:{port}"
        self.server.start()

    def stop(self):
        self.server.stop(grace=None)
