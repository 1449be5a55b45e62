"""A real edgenas coordinator (and optionally a worker and a cpu agent) on
loopback for the client's tests, as tests/integration/cluster.cc starts
them: the binaries from $EDGENAS_BIN_DIR (CTest sets it to BUILD/bin), an
OS-chosen port read from --port_file, a temporary SQLite database, logs in
the temporary folder (kept with EDGENAS_KEEP_TEST_DIR=1). stop() ends
exactly the processes started here: SIGTERM, then SIGKILL after 10 s.
"""
import os
import shutil
import signal
import subprocess
import tempfile
import time

# A token the coordinator accepts (--search_tokens_file); 16+ characters.
TEST_TOKEN = "pyclient-test-token-0123456789"


def bin_dir():
    """$EDGENAS_BIN_DIR, checked to hold the four binaries."""
    folder = os.environ.get("EDGENAS_BIN_DIR")
    if not folder:
        raise RuntimeError("EDGENAS_BIN_DIR is not set (CTest sets it to BUILD/bin)")
    for name in ("edgenas-coordinator", "edgenas-worker", "edgenas-agent", "edgenas"):
        path = os.path.join(folder, name)
        if not os.access(path, os.X_OK):
            raise RuntimeError(f"{path}: missing; build it first (scripts/build.sh)")
    return folder


def read_port(path):
    """The port the file holds, or "" while it is absent or empty."""
    try:
        with open(path, encoding="utf-8") as f:
            return f.read().strip()
    except FileNotFoundError:
        return ""


def tail(path, lines=30):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return "(no log)"


class Cluster:
    def __init__(self, *, executors=True, tokens=False, tls=None):
        """tls: (certificate file, key file) to serve TLS with, or None."""
        self.bin = bin_dir()
        self.dir = tempfile.mkdtemp(prefix="edgenas-pyclient-")
        self.executors = executors
        self.token = TEST_TOKEN if tokens else None
        self.tls = tls
        self.address = None
        self._procs = []  # (name, Popen, log path)

    def binary(self, name):
        return os.path.join(self.bin, name)

    def _spawn(self, name, argv):
        log = os.path.join(self.dir, name + ".log")
        with open(log, "wb") as out:
            proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL)
        self._procs.append((name, proc, log))
        return proc, log

    def start(self):
        port_file = os.path.join(self.dir, "coordinator.port")
        argv = [self.binary("edgenas-coordinator"), "--listen=127.0.0.1:0",
                f"--db={self.dir}/edgenas.db", f"--port_file={port_file}",
                "--heartbeat_interval_ms=500", "--metrics_listen=off"]
        if self.token:
            tokens = os.path.join(self.dir, "tokens.txt")
            with open(tokens, "w", encoding="utf-8") as f:
                f.write(f"pytest:{self.token}\n")
            argv.append(f"--search_tokens_file={tokens}")
        if self.tls:
            if self.executors:
                raise ValueError("TLS test clusters run the coordinator alone")
            argv += [f"--tls_cert_file={self.tls[0]}", f"--tls_key_file={self.tls[1]}"]
        proc, log = self._spawn("coordinator", argv)
        # Polls another process's port file (bounded; the coordinator writes
        # it once serving), as cluster.cc's WaitForPortFile.
        deadline = time.monotonic() + 60
        while not read_port(port_file):
            if proc.poll() is not None:
                raise RuntimeError(f"coordinator exited {proc.returncode}:\n{tail(log)}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"coordinator wrote no port file in 60 s:\n{tail(log)}")
            time.sleep(0.05)
        self.address = "127.0.0.1:" + read_port(port_file)
        if self.executors:
            common = [f"--coordinator={self.address}", "--threads=1", "--metrics_listen=off"]
            self._spawn("worker", [self.binary("edgenas-worker"), "--name=py-worker",
                                   "--allow_cuda=false",
                                   f"--data_root=/usr/share/datasets,{self.dir}"] + common)
            self._spawn("agent", [self.binary("edgenas-agent"), "--name=py-agent",
                                  "--device_class=cpu"] + common)
        return self

    def logs(self):
        """The tails of every log, for failure messages."""
        return "\n".join(f"--- {name} ({proc.poll()})\n{tail(log)}"
                         for name, proc, log in self._procs)

    def stop(self):
        for _, proc, _ in reversed(self._procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for _, proc, _ in reversed(self._procs):
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self._procs = []
        if not os.environ.get("EDGENAS_KEEP_TEST_DIR"):
            shutil.rmtree(self.dir, ignore_errors=True)
        else:
            print(f"kept {self.dir}")


# The cheapest real job: three random NB201 cells (8 channels, one cell per
# stage) trained for 10 steps on Fashion-MNIST, timed briefly on the cpu agent.
TINY_JOB_YAML = """\
name: pyclient-tiny
space: {name: nb201, options: {cells_per_stage: 1, channels: 8}}
strategy: {name: random}
objectives:
  - {metric: accuracy, direction: maximize}
  - {metric: latency_ms, direction: minimize, device_class: cpu}
evaluation:
  mode: full_train
  train_steps: 10
  batch_size: 32
  learning_rate: 0.05
  validation_examples: 256
dataset: {name: fashion_mnist, path: /usr/share/datasets/fashion-mnist}
latency: {warmup_ms: 20, min_runs: 5, max_runs: 10, threads: 1, batch_size: 1}
budget: {max_evaluations: 3, max_wall_seconds: 600}
parallelism: 2
seed: 11
max_attempts: 2
lease_seconds: 30
"""


def make_pki(folder):
    """A CA and a server certificate for 127.0.0.1 (IP SAN), made with the
    openssl CLI; returns (ca.pem, server.pem, server.key) paths."""
    def openssl(*args):
        subprocess.run(["openssl"] + list(args), cwd=folder, check=True,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-subj", "/CN=edgenas-pyclient-test-ca")
    openssl("req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1")
    with open(os.path.join(folder, "san.ext"), "w", encoding="utf-8") as f:
        f.write("subjectAltName=IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "san.ext")
    return tuple(os.path.join(folder, n) for n in ("ca.pem", "server.pem", "server.key"))
