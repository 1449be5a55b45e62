"""Client: the edgenas SearchService from Python.

    client = edgenas.Client("localhost:50051", token=...)
    job = client.submit("examples/tiny_test.yaml")
    for event in client.watch(job):
        print(event.type, event.job.candidates_done)
    df = client.candidates(job)          # one row per candidate (pandas)
    front = client.pareto(job)           # the front; front.attrs["hypervolume"]

Every call that the coordinator refuses raises EdgenasError with the gRPC
status code and the server's message (which names the bad field). Unary
calls time out after `timeout` seconds; watch() has no deadline.
"""
import collections
import os
import re
import shutil
import subprocess
import tempfile
import time

import grpc

from edgenas import frames, spec as spec_module
from edgenas.dataset_classes import fill_image_folder_classes
from edgenas.errors import EdgenasError
from edgenas.types import Candidate, Event, Job, TERMINAL_JOB_STATES, job_state_name

from edgenas.v1 import common_pb2, search_service_pb2, search_service_pb2_grpc

DEFAULT_ADDRESS = "localhost:50051"
MAX_TOKEN_CHARS = 4096                 # common/grpc_bearer.h kMaxTokenChars
MAX_RECEIVE_BYTES = 64 << 20           # a page of candidates or a large front
LIST_PAGE_SIZE = 500                   # ListCandidates and ListJobs allow up to 1000


def validate_token(token, what):
    """ValueError unless `token` is 1..4096 printable ASCII characters without
    spaces (what an HTTP/2 header carries unchanged); never quotes it."""
    if not token:
        raise ValueError(f"{what}: empty token")
    if len(token) > MAX_TOKEN_CHARS:
        raise ValueError(f"{what}: token longer than {MAX_TOKEN_CHARS} characters")
    for i, c in enumerate(token):
        if not 0x21 <= ord(c) <= 0x7E:
            raise ValueError(f"{what}: token character {i + 1} is a space, control or "
                             "non-ASCII character (a trailing newline?)")


_CallDetails = collections.namedtuple(
    "_CallDetails", ("method", "timeout", "metadata", "credentials", "wait_for_ready",
                     "compression"))


class _ClientCallDetails(_CallDetails, grpc.ClientCallDetails):
    pass


class _BearerInterceptor(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor,
                         grpc.StreamUnaryClientInterceptor, grpc.StreamStreamClientInterceptor):
    """Adds "authorization: Bearer <token>" to every call, over TLS and
    plaintext alike, as the CLI does (common/grpc_bearer.h)."""

    def __init__(self, token):
        self._header = ("authorization", "Bearer " + token)

    def _details(self, d):
        metadata = list(d.metadata or []) + [self._header]
        return _ClientCallDetails(d.method, d.timeout, metadata, d.credentials,
                                  getattr(d, "wait_for_ready", None),
                                  getattr(d, "compression", None))

    def intercept_unary_unary(self, continuation, details, request):
        return continuation(self._details(details), request)

    def intercept_unary_stream(self, continuation, details, request):
        return continuation(self._details(details), request)

    def intercept_stream_unary(self, continuation, details, requests):
        return continuation(self._details(details), requests)

    def intercept_stream_stream(self, continuation, details, requests):
        return continuation(self._details(details), requests)


class _Pem:
    """A PEM given as bytes, PEM text or a file path (the CLI needs a path)."""

    def __init__(self, value, what):
        self.what = what
        self.path = None
        if isinstance(value, bytes):
            self.data = value
        elif isinstance(value, str) and value.lstrip().startswith("-----BEGIN"):
            self.data = value.encode("ascii")
        elif isinstance(value, (str, os.PathLike)):
            self.path = os.fspath(value)
            try:
                with open(self.path, "rb") as f:
                    self.data = f.read()
            except OSError as e:
                raise ValueError(f"{what}: cannot read {self.path}: {e.strerror}") from None
        else:
            raise TypeError(f"{what}: expected bytes, PEM text or a path, "
                            f"got {type(value).__name__}")

    def file_for_cli(self, folder, name):
        """A path the CLI can read: the given file, or a private copy in `folder`."""
        if self.path is not None:
            return self.path
        path = os.path.join(folder, name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(self.data)
        return path


def _job_id(job):
    if isinstance(job, Job):
        return job.id
    if isinstance(job, str) and job:
        return job
    raise TypeError(f"job must be a job id (str) or an edgenas.Job, got {job!r}")


def _candidate_id(job_id, candidate):
    """The id as given, or "<job>-NNNN" for a number (as the CLI's export)."""
    if isinstance(candidate, Candidate):
        return candidate.id
    if isinstance(candidate, int) and not isinstance(candidate, bool) and candidate >= 0:
        return "%s-%04d" % (job_id, candidate)
    if isinstance(candidate, str) and candidate:
        return candidate
    raise TypeError("candidate must be an id (str), a sequence number (int >= 0) or an "
                    f"edgenas.Candidate, got {candidate!r}")


def _candidate_states(states):
    """CandidateState numbers from names ("done", "DONE", "CANDIDATE_DONE") or numbers."""
    if states is None:
        return []
    if isinstance(states, (str, int)):
        states = [states]
    known = [n for n in common_pb2.CandidateState.keys() if n != "CANDIDATE_STATE_UNSPECIFIED"]
    out = []
    for i, s in enumerate(states):
        if isinstance(s, int) and not isinstance(s, bool) and s in common_pb2.CandidateState.values() \
                and s != 0:
            out.append(s)
            continue
        name = str(s).upper()
        name = name if name.startswith("CANDIDATE_") else "CANDIDATE_" + name
        if name not in known:
            words = ", ".join(k[len("CANDIDATE_"):].lower() for k in known)
            raise ValueError(f"states[{i}]: unknown candidate state {s!r}; known: {words}")
        out.append(common_pb2.CandidateState.Value(name))
    return out


class Client:
    """A connection to an edgenas coordinator's SearchService.

    address:  HOST:PORT; default $EDGENAS_COORDINATOR, else localhost:50051.
    tls:      True for TLS, False for plaintext; default: TLS when a CA is
              given (root_certificates or $EDGENAS_TLS_CA_FILE).
    root_certificates, certificate_chain, private_key: PEM bytes, PEM text
              or file paths (defaults $EDGENAS_TLS_CA_FILE, $EDGENAS_TLS_CERT_FILE,
              $EDGENAS_TLS_KEY_FILE); without a CA, TLS uses the system's roots.
    token:    bearer token for a coordinator run with --search_tokens_file
              (default $EDGENAS_TOKEN); sent as "authorization: Bearer ...".
    timeout:  seconds for each unary call (watch has none).
    cli:      the `edgenas` binary that export() runs (default $EDGENAS_CLI,
              else `edgenas` on PATH).
    """

    def __init__(self, address=None, *, tls=None, root_certificates=None,
                 certificate_chain=None, private_key=None, token=None, timeout=30.0, cli=None):
        env = os.environ
        self.address = address or env.get("EDGENAS_COORDINATOR") or DEFAULT_ADDRESS
        if timeout is not None and timeout <= 0:
            raise ValueError(f"timeout: expected seconds > 0, got {timeout!r}")
        self.timeout = timeout
        self._cli = cli
        if tls is not False:
            root_certificates = root_certificates or env.get("EDGENAS_TLS_CA_FILE") or None
            certificate_chain = certificate_chain or env.get("EDGENAS_TLS_CERT_FILE") or None
            private_key = private_key or env.get("EDGENAS_TLS_KEY_FILE") or None
        elif root_certificates or certificate_chain or private_key:
            raise ValueError("tls=False with certificates given; drop them or set tls=True")
        if (certificate_chain is None) != (private_key is None):
            raise ValueError("certificate_chain and private_key go together (mutual TLS)")
        self.tls = bool(tls) or root_certificates is not None or certificate_chain is not None
        self._ca = _Pem(root_certificates, "root_certificates") if root_certificates else None
        self._cert = _Pem(certificate_chain, "certificate_chain") if certificate_chain else None
        self._key = _Pem(private_key, "private_key") if private_key else None
        if token is None:
            token = env.get("EDGENAS_TOKEN") or None
            if token is not None:
                validate_token(token, "$EDGENAS_TOKEN")
        else:
            validate_token(token, "token")
        self._token = token

        options = [("grpc.max_receive_message_length", MAX_RECEIVE_BYTES)]
        if self.tls:
            credentials = grpc.ssl_channel_credentials(
                root_certificates=self._ca.data if self._ca else None,
                private_key=self._key.data if self._key else None,
                certificate_chain=self._cert.data if self._cert else None)
            channel = grpc.secure_channel(self.address, credentials, options=options)
        else:
            channel = grpc.insecure_channel(self.address, options=options)
        self._raw_channel = channel
        if token:
            channel = grpc.intercept_channel(channel, _BearerInterceptor(token))
        self._channel = channel
        self._stub = search_service_pb2_grpc.SearchServiceStub(channel)

    def __repr__(self):
        return (f"edgenas.Client({self.address!r}, tls={self.tls}, "
                f"token={'set' if self._token else 'none'})")

    def close(self):
        """Closes the channel; the client cannot be used afterwards."""
        self._raw_channel.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _unary(self, method, request, what):
        try:
            return method(request, timeout=self.timeout)
        except grpc.RpcError as e:
            raise EdgenasError.from_rpc_error(e, what) from None

    # -- Jobs.

    def submit(self, spec):
        """Validates and stores a job; returns it (PENDING). `spec`: a dict
        shaped like the YAML, YAML text, a path to a YAML file, or a
        v1.JobSpec. A malformed spec raises EdgenasError(INVALID_ARGUMENT)
        naming the field, before or after it reaches the coordinator. An
        image_folder dataset readable here gets its class_names and
        num_classes from the folder, as `edgenas submit` does."""
        job_spec = spec_module.to_job_spec(spec)
        # As `edgenas submit`: an image folder readable here names its classes.
        if job_spec.dataset.name == "image_folder" and not job_spec.dataset.class_names:
            filled = type(job_spec)()
            filled.CopyFrom(job_spec)
            fill_image_folder_classes(filled)
            job_spec = filled
        request = search_service_pb2.SubmitJobRequest(spec=job_spec)
        return Job.from_proto(self._unary(self._stub.SubmitJob, request, "SubmitJob"))

    def job(self, job):
        """The job's record now (NOT_FOUND for an unknown id)."""
        request = search_service_pb2.GetJobRequest(job_id=_job_id(job))
        return Job.from_proto(self._unary(self._stub.GetJob, request, "GetJob"))

    def jobs(self, summary=False):
        """Every job the coordinator knows, oldest first, as Job records.
        ListJobs is read a page at a time (each page stays under gRPC's
        4 MiB limit however large the specs), following next_page_token to
        the end. `summary` asks for JOB_VIEW_SUMMARY: each spec reduced to
        its name and budget, much less to transfer for a listing."""
        view = (search_service_pb2.JOB_VIEW_SUMMARY if summary
                else search_service_pb2.JOB_VIEW_FULL)
        request = search_service_pb2.ListJobsRequest(page_size=LIST_PAGE_SIZE, view=view)
        listed = []
        tokens = set()
        while True:
            response = self._unary(self._stub.ListJobs, request, "ListJobs")
            listed.extend(Job.from_proto(j) for j in response.jobs)
            token = response.next_page_token
            if not token:
                return listed
            if token in tokens or not response.jobs:
                raise EdgenasError(grpc.StatusCode.INTERNAL,
                                   f"ListJobs: the server repeated page token {token!r}")
            tokens.add(token)
            request.page_token = token

    def cancel(self, job):
        """Cancels the job; returns its record."""
        request = search_service_pb2.CancelJobRequest(job_id=_job_id(job))
        return Job.from_proto(self._unary(self._stub.CancelJob, request, "CancelJob"))

    def watch(self, job, after_sequence=0, *, max_reconnects=10, backoff=0.5):
        """Yields the job's events (Event) after `after_sequence` until the
        job ends (DONE, FAILED or CANCELLED); a job that has ended yields
        its stored events and stops. When the stream breaks before the end
        (the coordinator restarts or drains: UNAVAILABLE, or a stream closed
        early), it reconnects from the last event seen, waiting `backoff`
        seconds, doubled each time up to 10 x `backoff`; after
        `max_reconnects` reconnects in a row without a new event it raises
        EdgenasError(UNAVAILABLE). Closing the generator cancels the stream."""
        job_id = _job_id(job)
        last = after_sequence
        failures = 0
        while True:
            ended = False
            request = search_service_pb2.WatchJobRequest(job_id=job_id, after_sequence=last)
            call = self._stub.WatchJob(request)
            try:
                for message in call:
                    failures = 0
                    last = max(last, message.sequence)
                    if message.HasField("job") and \
                            job_state_name(message.job.state) in TERMINAL_JOB_STATES:
                        ended = True
                    yield Event.from_proto(message)
            except grpc.RpcError as e:
                if e.code() != grpc.StatusCode.UNAVAILABLE:
                    raise EdgenasError.from_rpc_error(e, "WatchJob") from None
                broken = e
            else:
                broken = None
            finally:
                call.cancel()
            if ended:
                return
            if broken is None:
                # The stream ended cleanly: the job has ended (its last event
                # carried no snapshot) or the coordinator is draining.
                try:
                    if self.job(job_id).ended:
                        if failures > 0:
                            return  # drained the events after `last` already
                        failures += 1
                        continue  # once more from `last`: events stored since
                except EdgenasError as e:
                    if e.code != grpc.StatusCode.UNAVAILABLE:
                        raise
                    broken = e
            failures += 1
            if failures > max_reconnects:
                what = broken.details() if isinstance(broken, grpc.RpcError) else (
                    broken.message if broken is not None else "stream closed before the job ended")
                raise EdgenasError(grpc.StatusCode.UNAVAILABLE,
                                   f"watch {job_id}: gave up after {max_reconnects} reconnects "
                                   f"without a new event: {what}")
            if backoff > 0:  # back off before reconnecting
                time.sleep(min(backoff * 2 ** (failures - 1), 10 * backoff))

    def wait(self, job):
        """Follows the job to its end; returns its final record."""
        for _ in self.watch(job):
            pass
        return self.job(job)

    # -- Candidates and fronts.

    def candidate(self, job, candidate):
        """One candidate (id, sequence number or Candidate)."""
        job_id = _job_id(job)
        request = search_service_pb2.GetCandidateRequest(
            job_id=job_id, candidate_id=_candidate_id(job_id, candidate))
        return Candidate.from_proto(self._unary(self._stub.GetCandidate, request,
                                                "GetCandidate"))

    def list_candidates(self, job, states=None, fidelity=None):
        """Every candidate of the job (v1.Candidate messages, in sequence
        order), read a page at a time through ListCandidates; `states`
        (e.g. ["done", "failed"]) and `fidelity` filter on the server."""
        job_id = _job_id(job)
        request = search_service_pb2.ListCandidatesRequest(
            job_id=job_id, page_size=LIST_PAGE_SIZE, states=_candidate_states(states))
        if fidelity is not None:
            request.fidelity = int(fidelity)
        by_id = {}
        tokens = set()
        while True:
            try:
                response = self._stub.ListCandidates(request, timeout=self.timeout)
            except grpc.RpcError as e:
                error = EdgenasError.from_rpc_error(e, "ListCandidates")
                if error.code == grpc.StatusCode.UNIMPLEMENTED:
                    said = e.details() if hasattr(e, "details") else ""
                    error = EdgenasError(error.code, "ListCandidates: this coordinator does not "
                                         "implement it (it predates the RPC)"
                                         + (f"; it said: {said}" if said else ""))
                raise error from None
            for c in response.candidates:
                by_id[c.id] = c
            token = response.next_page_token
            if not token:
                break
            if token in tokens:
                raise EdgenasError(grpc.StatusCode.INTERNAL,
                                   f"ListCandidates: the server repeated page token {token!r}")
            tokens.add(token)
            request.page_token = token
        return sorted(by_id.values(), key=lambda c: c.sequence)

    def candidates(self, job, states=None, fidelity=None):
        """A pandas DataFrame with one row per candidate, like Optuna's
        trials_dataframe(): number, id, state, arch, created, finished,
        duration, metrics.<name> and their .source/.fidelity/.unstable/
        .std_error, failure_reason, notes (see edgenas.frames). `states`
        keeps only those states; `fidelity` keeps candidates with a value of
        that fidelity and shows those values (-1: finalists' full training)."""
        record = self.job(job)
        listed = self.list_candidates(record.id, states=states, fidelity=fidelity)
        frame = frames.candidates_frame(listed, record.spec.objectives, fidelity)
        frame.attrs["job_id"] = record.id
        return frame

    def pareto(self, job):
        """The job's Pareto front as a DataFrame (columns as candidates());
        attrs: hypervolume, reference_point, objectives (metric, direction,
        device_class), job_id."""
        request = search_service_pb2.GetParetoFrontRequest(job_id=_job_id(job))
        front = self._unary(self._stub.GetParetoFront, request, "GetParetoFront")
        frame = frames.candidates_frame(front.candidates, front.objectives)
        frame.attrs["job_id"] = front.job_id
        frame.attrs["hypervolume"] = front.hypervolume
        frame.attrs["reference_point"] = list(front.reference_point)
        frame.attrs["objectives"] = [
            {"metric": o.metric, "direction": common_pb2.Direction.Name(o.direction).lower(),
             "device_class": o.device_class} for o in front.objectives]
        return frame

    # -- Export (through the C++ CLI, which owns the ONNX/TorchScript exporters).

    def _cli_binary(self):
        cli = self._cli or os.environ.get("EDGENAS_CLI") or shutil.which("edgenas")
        if not cli or not (os.path.isfile(cli) and os.access(cli, os.X_OK)):
            raise FileNotFoundError(
                f"the edgenas CLI was not found ({cli or 'not on PATH'}): export runs "
                "`edgenas export`; pass Client(cli=PATH) or set $EDGENAS_CLI")
        return cli

    def export(self, job, candidate, path=None, format="onnx", dynamic_batch=False,
               timeout=None):
        """Writes a fully trained finalist to `path` by running
        `edgenas export JOB CANDIDATE --format FORMAT --out PATH` with this
        client's address, TLS files and token; returns the path. format:
        onnx (default), torchscript or state_dict. Raises EdgenasError with
        the CLI's code and message when it fails (e.g. NOT_FOUND: no trained
        weights, for a candidate that was never fully trained)."""
        job_id = _job_id(job)
        candidate_id = _candidate_id(job_id, candidate)
        argv = [self._cli_binary(), "export", job_id, candidate_id, f"--format={format}",
                f"--coordinator={self.address}"]
        if path is not None:
            argv.append(f"--out={os.fspath(path)}")
        if dynamic_batch:
            argv.append("--dynamic_batch")
        env = {k: v for k, v in os.environ.items()
               if k not in ("EDGENAS_TOKEN", "EDGENAS_TLS_CA_FILE", "EDGENAS_TLS_CERT_FILE",
                            "EDGENAS_TLS_KEY_FILE", "EDGENAS_COORDINATOR")}
        if self._token:
            env["EDGENAS_TOKEN"] = self._token  # the environment keeps it out of `ps`
        with tempfile.TemporaryDirectory(prefix="edgenas-export-") as private:
            if self.tls:
                if self._ca is None:
                    raise ValueError("export over TLS needs root_certificates: the edgenas CLI "
                                     "verifies the coordinator with a CA file, not system roots")
                argv.append(f"--tls_ca_file={self._ca.file_for_cli(private, 'ca.pem')}")
                if self._cert is not None:
                    argv.append(f"--tls_cert_file={self._cert.file_for_cli(private, 'cert.pem')}")
                    argv.append(f"--tls_key_file={self._key.file_for_cli(private, 'key.pem')}")
            try:
                result = subprocess.run(argv, env=env, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True, timeout=timeout)
            except subprocess.TimeoutExpired:
                raise EdgenasError(grpc.StatusCode.DEADLINE_EXCEEDED,
                                   f"edgenas export did not finish in {timeout} s") from None
        if result.returncode != 0:
            raise _cli_error(result)
        written = re.search(r"^wrote (.+?) \(", result.stdout, re.MULTILINE)
        return written.group(1) if written else (os.fspath(path) if path is not None else None)


def _cli_error(result):
    """EdgenasError from the CLI's "error: CODE: message" line."""
    text = (result.stderr or "") + (result.stdout or "")
    for line in reversed(text.splitlines()):
        match = re.match(r"^error: ([A-Z_]+): (.*)$", line)
        if match:
            return EdgenasError.from_code_name(match.group(1), match.group(2))
        match = re.match(r"^error: (.*)$", line)
        if match:  # a usage error (exit 2) carries no code
            return EdgenasError(grpc.StatusCode.INVALID_ARGUMENT, match.group(1))
    tail = " | ".join(text.strip().splitlines()[-5:]) or "no output"
    return EdgenasError(grpc.StatusCode.UNKNOWN,
                        f"edgenas export exited {result.returncode}: {tail}")
