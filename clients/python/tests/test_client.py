"""The client against a real coordinator, worker and cpu agent: a tiny
full_train job submitted as YAML text, watched to its end, its front read
as a DataFrame; a multi-fidelity job whose one rung is full training, so
that its candidate keeps trained weights that export() writes through the
edgenas CLI; malformed specs, unknown ids, missing or wrong tokens and a
cancelled job raise EdgenasError with the server's code and message.
The coordinator requires a bearer token (--search_tokens_file).

candidates() (ListCandidates) is tested on its own: test_candidates.py."""
import os
import shutil
import tempfile
import unittest

import grpc

import edgenas

import cluster

# A candidate trained for the full schedule keeps its weights (as a
# finalist's): the one rung of this multi-fidelity job is full_train.
EXPORTABLE_JOB = {
    "name": "pyclient-exportable",
    "space": {"name": "nb201", "options": {"cells_per_stage": 1, "channels": 4}},
    "strategy": {"name": "random"},
    "objectives": [{"metric": "accuracy", "direction": "maximize"},
                   {"metric": "params", "direction": "minimize"}],
    "evaluation": {"mode": "multi_fidelity", "batch_size": 32, "validation_examples": 256,
                   "multi_fidelity": {"rungs": ["full_train"]},
                   "finalize": {"top_k": -1, "train_steps": 10}},
    "dataset": {"name": "fashion_mnist"},
    "budget": {"max_evaluations": 1, "max_wall_seconds": 600},
    "parallelism": 1, "seed": 5, "max_attempts": 2,
}

# Nothing serves this device class, so the job's candidates stay pending.
STUCK_JOB_YAML = """\
name: pyclient-stuck
space: {name: nb201}
strategy: {name: random}
objectives:
  - {metric: latency_ms, direction: minimize, device_class: no-such-board}
budget: {max_evaluations: 2}
"""


def setUpModule():
    global CLUSTER, CLIENT
    CLUSTER = cluster.Cluster(tokens=True).start()
    CLIENT = edgenas.Client(CLUSTER.address, token=CLUSTER.token,
                            cli=CLUSTER.binary("edgenas"), timeout=60)


def tearDownModule():
    CLIENT.close()
    CLUSTER.stop()


class TinyJob(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.submitted = CLIENT.submit(cluster.TINY_JOB_YAML)
        cls.events = list(CLIENT.watch(cls.submitted))
        cls.final = CLIENT.job(cls.submitted)
        if cls.final.state != "DONE":
            raise AssertionError(f"job ended {cls.final.state}: {cls.final.message}\n"
                                 + CLUSTER.logs())

    def test_submit_returns_the_stored_job(self):
        # submit() parses the YAML as the CLI would and returns the job's record.
        self.assertTrue(self.submitted.id)
        self.assertEqual(self.submitted.name, "pyclient-tiny")
        self.assertEqual(self.submitted.spec.budget.max_evaluations, 3)
        self.assertEqual(self.submitted.spec.space.options["channels"], "8")

    def test_watch_yields_every_event_in_order_until_the_job_ends(self):
        sequences = [e.sequence for e in self.events]
        self.assertEqual(sequences, sorted(set(sequences)), "sequences must strictly increase")
        self.assertEqual(self.events[-1].job.state, "DONE")
        done = [e for e in self.events if e.type == "CANDIDATE_DONE"]
        self.assertEqual(len(done), self.final.candidates_done)
        self.assertEqual(self.final.candidates_done, 3)
        for e in done:
            self.assertEqual(e.candidate.state, "DONE")
            self.assertGreaterEqual(e.candidate.metrics["accuracy"], 0.0)
            self.assertLessEqual(e.candidate.metrics["accuracy"], 1.0)
            self.assertGreater(e.candidate.metrics["latency_ms"], 0.0)
        self.assertTrue(any(e.type == "STATE_CHANGED" for e in self.events))

    def test_watch_of_an_ended_job_replays_its_events_after_a_sequence(self):
        replay = [e.sequence for e in CLIENT.watch(self.final.id)]
        self.assertEqual(replay, [e.sequence for e in self.events])
        middle = self.events[len(self.events) // 2].sequence
        after = [e.sequence for e in CLIENT.watch(self.final, after_sequence=middle)]
        self.assertEqual(after, [s for s in replay if s > middle])

    def test_job_and_jobs_show_the_ended_job(self):
        self.assertTrue(self.final.ended)
        self.assertGreater(self.final.hypervolume, 0.0)
        self.assertIn(self.final.id, [j.id for j in CLIENT.jobs()])

    def test_candidate_by_number_and_by_id(self):
        first = CLIENT.candidate(self.final, 0)
        self.assertEqual(first.number, 0)
        self.assertEqual(CLIENT.candidate(self.final.id, first.id).arch, first.arch)
        self.assertEqual(set(first.metrics) >= {"accuracy", "latency_ms"}, True, first.metrics)

    def test_pareto_is_a_frame_of_non_dominated_done_candidates(self):
        front = CLIENT.pareto(self.final)
        self.assertEqual(len(front), self.final.front_size)
        self.assertGreaterEqual(len(front), 1)
        self.assertAlmostEqual(front.attrs["hypervolume"], self.final.hypervolume)
        self.assertEqual([o["metric"] for o in front.attrs["objectives"]],
                         ["accuracy", "latency_ms"])
        self.assertEqual(len(front.attrs["reference_point"]), 2)
        for column in ["number", "id", "state", "arch", "created", "finished", "duration",
                       "metrics.accuracy", "metrics.latency_ms", "metrics.accuracy.source",
                       "metrics.latency_ms.unstable", "notes"]:
            self.assertIn(column, front.columns)
        self.assertEqual(set(front["state"]), {"DONE"})
        done_ids = {e.candidate.id for e in self.events if e.type == "CANDIDATE_DONE"}
        self.assertLessEqual(set(front["id"]), done_ids)
        self.assertTrue((front["metrics.latency_ms"] > 0).all())
        self.assertTrue(front["metrics.latency_ms.source"].str.startswith("agent:").all())
        rows = list(zip(front["metrics.accuracy"], front["metrics.latency_ms"]))
        for a in rows:  # no row dominates another
            for b in rows:
                self.assertFalse(b[0] >= a[0] and b[1] <= a[1] and b != a, (a, b))

    def test_export_of_a_candidate_off_the_front_raises_the_cli_error(self):
        # A full_train job keeps the weights of its final front only: a
        # candidate off it has none, and the CLI's NOT_FOUND comes back. Which
        # candidates end on the front depends on training, so when all three
        # do, the first one's weights export instead.
        on_front = set(CLIENT.pareto(self.final)["number"])
        off_front = [n for n in range(self.final.candidates_done) if n not in on_front]
        with tempfile.TemporaryDirectory() as folder:
            out = os.path.join(folder, "c.onnx")
            if off_front:
                with self.assertRaises(edgenas.EdgenasError) as caught:
                    CLIENT.export(self.final, off_front[0], out)
                self.assertEqual(caught.exception.code, grpc.StatusCode.NOT_FOUND)
                self.assertIn("no trained weights", caught.exception.message)
                self.assertFalse(os.path.exists(out))
            else:
                self.assertEqual(CLIENT.export(self.final, 0, out), out)
                self.assertTrue(os.path.exists(out))
            with self.assertRaises(edgenas.EdgenasError) as caught:
                CLIENT.export(self.final, 0, out, format="png")
            self.assertEqual(caught.exception.code, grpc.StatusCode.INVALID_ARGUMENT)
            self.assertIn("--format", caught.exception.message)


class Export(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.job = CLIENT.wait(CLIENT.submit(EXPORTABLE_JOB))
        if cls.job.state != "DONE":
            raise AssertionError(f"job ended {cls.job.state}: {cls.job.message}\n"
                                 + CLUSTER.logs())

    def test_export_writes_onnx_and_torchscript_that_load(self):
        with tempfile.TemporaryDirectory() as folder:
            onnx = os.path.join(folder, "best.onnx")
            self.assertEqual(CLIENT.export(self.job, 0, onnx), onnx)
            with open(onnx, "rb") as f:
                self.assertGreater(len(f.read()), 1000)
            script = os.path.join(folder, "best.pt")
            CLIENT.export(self.job, f"{self.job.id}-0000", script, format="torchscript")
            try:
                import torch
            except ImportError:
                self.skipTest("python3-torch not installed: the TorchScript file is not loaded")
            model = torch.jit.load(script)
            with torch.no_grad():
                logits = model(torch.zeros(2, 1, 28, 28))
            self.assertEqual(tuple(logits.shape), (2, 10))


class Errors(unittest.TestCase):
    def test_server_refusal_names_the_field(self):
        # The coordinator validates what the parser lets through.
        with self.assertRaises(edgenas.EdgenasError) as caught:
            CLIENT.submit({"name": "bad", "space": {"name": "nb201"},
                           "objectives": [{"metric": "accuracy", "direction": "maximize"},
                                          {"metric": "latncy", "direction": "minimize"}],
                           "budget": {"max_evaluations": 2}})
        e = caught.exception
        self.assertEqual(e.code, grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("objectives[1].metric", e.message)
        self.assertIn("latncy", e.message)
        self.assertTrue(e.field and e.field.endswith("objectives[1].metric"), e.field)

    def test_malformed_yaml_refused_before_sending_naming_field_and_line(self):
        with self.assertRaises(edgenas.EdgenasError) as caught:
            CLIENT.submit("name: x\nbudget:\n  max_evaluatons: 3\n")
        self.assertEqual(caught.exception.code, grpc.StatusCode.INVALID_ARGUMENT)
        self.assertEqual(caught.exception.field, "budget.max_evaluatons")
        self.assertIn("(line 3)", caught.exception.message)

    def test_unknown_job_is_not_found(self):
        with self.assertRaises(edgenas.EdgenasError) as caught:
            CLIENT.job("no-such-job")
        self.assertEqual(caught.exception.code, grpc.StatusCode.NOT_FOUND)

    def test_missing_or_wrong_token_is_unauthenticated(self):
        for token in (None, "not-the-right-token-at-all"):
            with self.subTest(token=token):
                saved = os.environ.pop("EDGENAS_TOKEN", None)
                try:
                    with edgenas.Client(CLUSTER.address, token=token) as other:
                        with self.assertRaises(edgenas.EdgenasError) as caught:
                            other.jobs()
                finally:
                    if saved is not None:
                        os.environ["EDGENAS_TOKEN"] = saved
                self.assertEqual(caught.exception.code, grpc.StatusCode.UNAUTHENTICATED)

    def test_bad_token_refused_locally_without_quoting_it(self):
        with self.assertRaises(ValueError) as caught:
            edgenas.Client(CLUSTER.address, token="secret with space")
        self.assertNotIn("secret", str(caught.exception))

    def test_unreachable_coordinator_is_unavailable(self):
        with edgenas.Client("127.0.0.1:1", token=CLUSTER.token, timeout=5) as dead:
            with self.assertRaises(edgenas.EdgenasError) as caught:
                dead.jobs()
        self.assertEqual(caught.exception.code, grpc.StatusCode.UNAVAILABLE)


class Tls(unittest.TestCase):
    """A coordinator serving TLS (alone: the calls need no executor)."""

    @classmethod
    def setUpClass(cls):
        if shutil.which("openssl") is None:
            raise unittest.SkipTest("the openssl CLI is needed to make test certificates")
        cls.pki_dir = tempfile.mkdtemp(prefix="edgenas-pyclient-pki-")
        cls.ca, cert, key = cluster.make_pki(cls.pki_dir)
        cls.tls_cluster = cluster.Cluster(executors=False, tls=(cert, key)).start()

    @classmethod
    def tearDownClass(cls):
        cls.tls_cluster.stop()
        shutil.rmtree(cls.pki_dir, ignore_errors=True)

    def test_ca_as_path_or_bytes_connects_and_export_passes_it_to_the_cli(self):
        with open(self.ca, "rb") as f:
            ca_bytes = f.read()
        for ca in (self.ca, ca_bytes):
            with self.subTest(ca=type(ca).__name__):
                with edgenas.Client(self.tls_cluster.address, root_certificates=ca,
                                    cli=self.tls_cluster.binary("edgenas")) as client:
                    self.assertTrue(client.tls)
                    job = client.submit(STUCK_JOB_YAML)
                    self.assertIn(job.id, [j.id for j in client.jobs()])
                    # The CLI reached the coordinator over TLS: it found the job
                    # and then no candidate 7 (not a connection error).
                    with self.assertRaises(edgenas.EdgenasError) as caught:
                        client.export(job, 7, os.path.join(self.pki_dir, "x.onnx"))
                    self.assertEqual(caught.exception.code, grpc.StatusCode.NOT_FOUND,
                                     caught.exception.message)
                    client.cancel(job)

    def test_plaintext_or_unknown_ca_cannot_talk_to_a_tls_coordinator(self):
        other_ca = cluster.make_pki(tempfile.mkdtemp(dir=self.pki_dir))[0]
        for kwargs in ({"tls": False}, {"root_certificates": other_ca}):
            with self.subTest(**{k: str(v) for k, v in kwargs.items()}):
                with edgenas.Client(self.tls_cluster.address, timeout=10, **kwargs) as client:
                    with self.assertRaises(edgenas.EdgenasError) as caught:
                        client.jobs()
                self.assertEqual(caught.exception.code, grpc.StatusCode.UNAVAILABLE)


class Cancel(unittest.TestCase):
    def test_submit_from_a_file_cancel_and_watch_ends(self):
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "stuck.yaml")
            with open(path, "w", encoding="utf-8") as f:
                f.write(STUCK_JOB_YAML)
            job = CLIENT.submit(path)
        self.assertEqual(job.name, "pyclient-stuck")
        self.assertFalse(job.ended)
        cancelled = CLIENT.cancel(job)
        self.assertEqual(cancelled.state, "CANCELLED")
        events = list(CLIENT.watch(job))  # ends: the job has ended
        self.assertEqual(CLIENT.job(job).state, "CANCELLED")
        self.assertTrue(all(e.job_id == job.id for e in events))


if __name__ == "__main__":
    unittest.main()
