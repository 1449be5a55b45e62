"""The client's reading side against a fake SearchService (no binaries):
ListCandidates pages followed to the end, the DataFrame's columns, dtypes
and metric choice (highest rung, finalists only on request, one column per
device class), filters, pareto() attributes, watch() reconnecting after a
stream that closes early or breaks, and the bearer header on every call."""
import unittest

import grpc
import pandas as pd

import edgenas
from edgenas.v1 import common_pb2, job_pb2, search_service_pb2

from fake_search_service import FakeSearchService, FakeServer

JOB_ID = "job-1"


def metric(name, value, source, fidelity=0, device_class="", std_error=0.0, unstable=False):
    return common_pb2.Metric(name=name, value=value, source=source, fidelity=fidelity,
                             device_class=device_class, std_error=std_error, unstable=unstable)


def make_job(state=job_pb2.JOB_DONE):
    spec = job_pb2.JobSpec(name="fake")
    spec.objectives.add(metric="accuracy", direction=common_pb2.MAXIMIZE)
    spec.objectives.add(metric="latency_ms", direction=common_pb2.MINIMIZE, device_class="cpu")
    spec.objectives.add(metric="latency_ms", direction=common_pb2.MINIMIZE, device_class="rpi5")
    return job_pb2.Job(id=JOB_ID, spec=spec, state=state, candidates_done=5,
                       candidates_failed=1, candidates_pending=1, hypervolume=0.25)


def make_candidates():
    out = []
    c0 = common_pb2.Candidate(
        id=f"{JOB_ID}-0000", job_id=JOB_ID, sequence=0, arch="a0", state=common_pb2.CANDIDATE_DONE,
        created_unix_ms=1_000, finished_unix_ms=4_000, notes=["latency.cpu: note", "promoted"],
        metrics=[metric("accuracy", 0.5, "worker:supernet:cpu", fidelity=0),
                 metric("accuracy", 0.7, "worker:flash_distill:cpu", fidelity=1, std_error=0.01),
                 metric("accuracy", 0.9, "worker:full_train:cpu", fidelity=-1),
                 metric("test_accuracy", 0.85, "worker:full_train:cpu", fidelity=-1),
                 metric("params", 1000, "worker:count"),
                 metric("latency_ms", 2.0, "agent:libtorch-cpu", device_class="cpu",
                        unstable=True),
                 metric("latency_ms", 5.0, "replay:pi5", device_class="rpi5")])
    out.append(c0)
    out.append(common_pb2.Candidate(id=f"{JOB_ID}-0001", job_id=JOB_ID, sequence=1, arch="a1",
                                    state=common_pb2.CANDIDATE_FAILED, created_unix_ms=2_000,
                                    failure_reason="boom"))
    out.append(common_pb2.Candidate(
        id=f"{JOB_ID}-0002", job_id=JOB_ID, sequence=2, arch="a2",
        state=common_pb2.CANDIDATE_PENDING, created_unix_ms=3_000,
        metrics=[metric("accuracy", 0.4, "worker:supernet:cpu")]))
    for i in range(3, 7):
        out.append(common_pb2.Candidate(
            id=f"{JOB_ID}-{i:04d}", job_id=JOB_ID, sequence=i, arch=f"a{i}",
            state=common_pb2.CANDIDATE_DONE, created_unix_ms=1_000 * i,
            finished_unix_ms=1_000 * i + 500,
            metrics=[metric("accuracy", 0.1 * i, "worker:supernet:cpu"),
                     metric("latency_ms", float(i), "agent:libtorch-cpu", device_class="cpu"),
                     metric("latency_ms", 2.0 * i, "replay:pi5", device_class="rpi5")]))
    return out


def event(sequence, state=job_pb2.JOB_SEARCHING):
    job = make_job(state)
    return search_service_pb2.JobEvent(sequence=sequence, job_id=JOB_ID,
                                       type=search_service_pb2.EVENT_STATE_CHANGED,
                                       unix_ms=1_000 * sequence, job=job)


class FakeServerTest(unittest.TestCase):
    def setUp(self):
        self.service = FakeSearchService(page_size=3)
        self.service.jobs[JOB_ID] = make_job()
        self.service.candidates[JOB_ID] = make_candidates()
        self.server = FakeServer(self.service)
        self.client = edgenas.Client(self.server.address, token="a-token-for-the-fake-server",
                                     timeout=10)

    def tearDown(self):
        self.client.close()
        self.server.stop()

    def calls(self, method):
        return [r for m, r, _ in self.service.requests if m == method]


class CandidatesFrame(FakeServerTest):
    def test_every_page_is_read_and_rows_follow_number(self):
        frame = self.client.candidates(JOB_ID)
        self.assertEqual(list(frame["number"]), list(range(7)))
        self.assertEqual(len(self.calls("ListCandidates")), 3)  # pages of 3, 3, 1
        self.assertTrue(all(0 < r.page_size <= 1000 for r in self.calls("ListCandidates")))
        self.assertEqual(frame.attrs["job_id"], JOB_ID)

    def test_columns_objectives_first_one_per_device_class(self):
        frame = self.client.candidates(JOB_ID)
        labels = ["metrics.accuracy", "metrics.latency_ms@cpu", "metrics.latency_ms@rpi5",
                  "metrics.params", "metrics.test_accuracy"]
        attributes = [f"{label}.{a}" for label in labels
                      for a in ("source", "fidelity", "unstable", "std_error")]
        self.assertEqual(list(frame.columns),
                         ["number", "id", "state", "arch", "created", "finished", "duration"]
                         + labels + attributes + ["failure_reason", "notes"])

    def test_value_is_the_highest_rung_never_the_finalist_unless_asked(self):
        frame = self.client.candidates(JOB_ID).set_index("number")
        self.assertEqual(frame.loc[0, "metrics.accuracy"], 0.7)
        self.assertEqual(frame.loc[0, "metrics.accuracy.fidelity"], 1)
        self.assertEqual(frame.loc[0, "metrics.accuracy.source"], "worker:flash_distill:cpu")
        self.assertEqual(frame.loc[0, "metrics.accuracy.std_error"], 0.01)
        self.assertTrue(pd.isna(frame.loc[3, "metrics.accuracy.std_error"]))  # 0: not estimated
        self.assertEqual(frame.loc[0, "metrics.latency_ms@rpi5"], 5.0)
        self.assertTrue(frame.loc[0, "metrics.latency_ms@cpu.unstable"])
        self.assertFalse(frame.loc[3, "metrics.latency_ms@cpu.unstable"])
        self.assertTrue(pd.isna(frame.loc[1, "metrics.latency_ms@cpu.unstable"]))
        # A metric measured only after the search shows its one value.
        self.assertEqual(frame.loc[0, "metrics.test_accuracy"], 0.85)
        self.assertEqual(frame.loc[0, "metrics.test_accuracy.fidelity"], -1)
        self.assertTrue(pd.isna(frame.loc[3, "metrics.test_accuracy"]))
        finalists = self.client.candidates(JOB_ID, fidelity=-1)
        self.assertEqual(list(finalists["number"]), [0])
        self.assertEqual(finalists.loc[0, "metrics.accuracy"], 0.9)
        self.assertEqual(finalists.loc[0, "metrics.accuracy.fidelity"], -1)
        self.assertEqual(finalists.loc[0, "metrics.latency_ms@cpu"], 2.0)  # only rung 0 exists
        self.assertEqual(self.calls("ListCandidates")[-1].fidelity, -1)

    def test_times_states_and_notes(self):
        frame = self.client.candidates(JOB_ID).set_index("number")
        self.assertEqual(str(frame["created"].dtype), "datetime64[ns, UTC]")
        self.assertEqual(str(frame["metrics.accuracy.fidelity"].dtype), "Int64")
        self.assertEqual(str(frame["metrics.accuracy.unstable"].dtype), "boolean")
        self.assertEqual(frame.loc[0, "created"], pd.Timestamp("1970-01-01 00:00:01", tz="UTC"))
        self.assertEqual(frame.loc[0, "duration"], pd.Timedelta(seconds=3))
        self.assertTrue(pd.isna(frame.loc[1, "finished"]))
        self.assertTrue(pd.isna(frame.loc[1, "duration"]))
        self.assertEqual(list(frame["state"]),
                         ["DONE", "FAILED", "PENDING", "DONE", "DONE", "DONE", "DONE"])
        self.assertEqual(frame.loc[1, "failure_reason"], "boom")
        self.assertEqual(frame.loc[0, "notes"], ["latency.cpu: note", "promoted"])
        self.assertTrue(pd.isna(frame.loc[1, "metrics.accuracy"]))

    def test_state_filter_is_sent_to_the_server(self):
        failed = self.client.candidates(JOB_ID, states=["failed", "CANDIDATE_PENDING"])
        self.assertEqual(list(failed["number"]), [1, 2])
        self.assertEqual(list(self.calls("ListCandidates")[-1].states),
                         [common_pb2.CANDIDATE_FAILED, common_pb2.CANDIDATE_PENDING])
        with self.assertRaises(ValueError) as caught:
            self.client.candidates(JOB_ID, states=["done", "finished"])
        self.assertIn("states[1]", str(caught.exception))

    def test_a_repeated_page_token_is_an_error_not_a_loop(self):
        self.service.repeat_token = True
        with self.assertRaises(edgenas.EdgenasError) as caught:
            self.client.candidates(JOB_ID)
        self.assertEqual(caught.exception.code, grpc.StatusCode.INTERNAL)

    def test_unknown_job_is_not_found_naming_the_field(self):
        with self.assertRaises(edgenas.EdgenasError) as caught:
            self.client.candidates("nope")
        self.assertEqual(caught.exception.code, grpc.StatusCode.NOT_FOUND)
        self.assertEqual(caught.exception.field, "job_id")

    def test_every_call_carries_the_bearer_token(self):
        self.client.candidates(JOB_ID)
        self.client.jobs()
        self.assertTrue(self.service.requests)
        for _, _, metadata in self.service.requests:
            self.assertEqual(metadata.get("authorization"), "Bearer a-token-for-the-fake-server")


class Jobs(FakeServerTest):
    def test_every_page_of_jobs_is_read(self):
        for i in range(8):
            job = make_job()
            job.id = f"job-more-{i}"
            self.service.jobs[job.id] = job
        listed = self.client.jobs()
        self.assertEqual([j.id for j in listed],
                         [JOB_ID] + [f"job-more-{i}" for i in range(8)])
        self.assertEqual(len(self.calls("ListJobs")), 3)  # pages of 3
        self.assertTrue(all(c.page_token == "" or c.page_token.isdigit()
                            for c in self.calls("ListJobs")))

    def test_summary_view_is_asked_for(self):
        listed = self.client.jobs(summary=True)
        self.assertEqual([j.id for j in listed], [JOB_ID])
        self.assertEqual(self.calls("ListJobs")[0].view, search_service_pb2.JOB_VIEW_SUMMARY)

    def test_a_repeated_jobs_page_token_is_an_error_not_a_loop(self):
        for i in range(5):
            job = make_job()
            job.id = f"job-more-{i}"
            self.service.jobs[job.id] = job
        self.service.repeat_token = True
        with self.assertRaises(edgenas.EdgenasError) as caught:
            self.client.jobs()
        self.assertEqual(caught.exception.code, grpc.StatusCode.INTERNAL)


class Pareto(FakeServerTest):
    def test_front_frame_and_attributes(self):
        front = search_service_pb2.ParetoFront(job_id=JOB_ID, hypervolume=0.25,
                                               reference_point=[0.0, 10.0, 20.0],
                                               objectives=self.service.jobs[JOB_ID].spec.objectives)
        front.candidates.extend([self.service.candidates[JOB_ID][i] for i in (6, 0)])
        self.service.fronts[JOB_ID] = front
        frame = self.client.pareto(JOB_ID)
        self.assertEqual(list(frame["number"]), [0, 6])
        self.assertEqual(frame.attrs["hypervolume"], 0.25)
        self.assertEqual(frame.attrs["reference_point"], [0.0, 10.0, 20.0])
        self.assertEqual(frame.attrs["objectives"][1],
                         {"metric": "latency_ms", "direction": "minimize", "device_class": "cpu"})


class WatchReconnects(FakeServerTest):
    def setUp(self):
        super().setUp()
        self.service.events[JOB_ID] = [event(1), event(2), event(3),
                                       event(4, state=job_pb2.JOB_DONE)]

    def test_early_close_and_unavailable_resume_after_the_last_event(self):
        self.service.jobs[JOB_ID] = make_job(job_pb2.JOB_SEARCHING)
        self.service.watch_script = [("close", 2), ("break", 1)]
        sequences = [e.sequence for e in self.client.watch(JOB_ID, backoff=0)]
        self.assertEqual(sequences, [1, 2, 3, 4])
        self.assertEqual([r.after_sequence for r in self.calls("WatchJob")], [0, 2, 3])

    def test_gives_up_after_ten_reconnects_without_an_event(self):
        self.service.jobs[JOB_ID] = make_job(job_pb2.JOB_SEARCHING)
        self.service.watch_script = [("close", 1)] + [("break", 0)] * 11
        seen = []
        with self.assertRaises(edgenas.EdgenasError) as caught:
            for e in self.client.watch(JOB_ID, backoff=0):
                seen.append(e.sequence)
        self.assertEqual(seen, [1])
        self.assertEqual(caught.exception.code, grpc.StatusCode.UNAVAILABLE)
        self.assertIn("coordinator draining", caught.exception.message)

    def test_an_ended_job_whose_stream_closes_without_a_final_snapshot_stops(self):
        self.service.events[JOB_ID] = [event(1), event(2)]  # no terminal snapshot
        self.service.jobs[JOB_ID] = make_job(job_pb2.JOB_CANCELLED)
        self.assertEqual([e.sequence for e in self.client.watch(JOB_ID, backoff=0)], [1, 2])
        self.assertLessEqual(len(self.calls("WatchJob")), 2)

    def test_events_carry_typed_views(self):
        events = list(self.client.watch(JOB_ID))
        self.assertEqual(events[0].type, "STATE_CHANGED")
        self.assertEqual(events[-1].job.state, "DONE")
        self.assertTrue(events[-1].job.ended)
        self.assertEqual(events[0].time.year, 1970)


if __name__ == "__main__":
    unittest.main()
