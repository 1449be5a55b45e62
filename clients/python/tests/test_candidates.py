"""candidates(): every candidate of a real job as a DataFrame, read through
the ListCandidates RPC (paged), checked cell by cell against GetCandidate.

Needs a coordinator that implements ListCandidates; one that predates it
answers UNIMPLEMENTED, which fails this test with that message."""
import math
import unittest

import pandas as pd

import edgenas

import cluster


def setUpModule():
    global CLUSTER, CLIENT, JOB
    CLUSTER = cluster.Cluster().start()
    CLIENT = edgenas.Client(CLUSTER.address, timeout=60)
    JOB = CLIENT.wait(CLIENT.submit(cluster.TINY_JOB_YAML))
    if JOB.state != "DONE":
        raise AssertionError(f"job ended {JOB.state}: {JOB.message}\n" + CLUSTER.logs())


def tearDownModule():
    CLIENT.close()
    CLUSTER.stop()


class Candidates(unittest.TestCase):
    def test_one_row_per_candidate_matching_get_candidate(self):
        frame = CLIENT.candidates(JOB)
        created = JOB.candidates_done + JOB.candidates_failed + JOB.candidates_pending
        self.assertEqual(len(frame), created)
        self.assertEqual(list(frame["number"]), list(range(created)))
        self.assertEqual(frame.attrs["job_id"], JOB.id)
        self.assertEqual(list(frame.columns[:7]),
                         ["number", "id", "state", "arch", "created", "finished", "duration"])
        # Objectives first, in the job's order.
        self.assertEqual(list(frame.columns[7:9]), ["metrics.accuracy", "metrics.latency_ms"])
        for _, row in frame.iterrows():
            c = CLIENT.candidate(JOB, row["id"])
            self.assertEqual(row["number"], c.number)
            self.assertEqual(row["state"], c.state)
            self.assertEqual(row["arch"], c.arch)
            self.assertEqual(row["notes"], c.notes)
            for name, value in c.metrics.items():
                self.assertEqual(row[f"metrics.{name}"], value, name)
                m = next(m for m in c.proto.metrics if m.name == name)
                self.assertEqual(row[f"metrics.{name}.source"], m.source)
                self.assertEqual(row[f"metrics.{name}.fidelity"], m.fidelity)
                self.assertEqual(bool(row[f"metrics.{name}.unstable"]), m.unstable)
                if m.std_error:
                    self.assertEqual(row[f"metrics.{name}.std_error"], m.std_error)
                else:
                    self.assertTrue(math.isnan(row[f"metrics.{name}.std_error"]))
            if row["state"] == "DONE":
                self.assertEqual(row["created"], pd.Timestamp(c.proto.created_unix_ms,
                                                              unit="ms", tz="UTC"))
                self.assertEqual(row["duration"], row["finished"] - row["created"])
                self.assertGreaterEqual(row["duration"], pd.Timedelta(0))
        self.assertTrue(frame["metrics.accuracy.source"].dropna().str.startswith("worker:").all())
        self.assertEqual(str(frame["metrics.latency_ms.unstable"].dtype), "boolean")
        self.assertEqual(str(frame["created"].dtype), "datetime64[ns, UTC]")

    def test_state_and_fidelity_filters(self):
        done = CLIENT.candidates(JOB, states=["done"])
        self.assertEqual(len(done), JOB.candidates_done)
        self.assertEqual(set(done["state"]), {"DONE"})
        none = CLIENT.candidates(JOB, states=["screened", "infeasible"])
        self.assertEqual(len(none), 0)
        self.assertEqual(list(none.columns[:7]),
                         ["number", "id", "state", "arch", "created", "finished", "duration"])
        # In a full_train job the -1 values are the front's test_accuracy,
        # measured once at the end: exactly the front members have one.
        tested = CLIENT.candidates(JOB, fidelity=-1)
        front = CLIENT.pareto(JOB)
        self.assertEqual(sorted(tested["id"]), sorted(front["id"]))
        self.assertTrue(tested["metrics.test_accuracy"].notna().all())
        everything = CLIENT.candidates(JOB)
        values = [c for c in everything.columns
                  if c.startswith("metrics.") and c.count(".") == 1]
        with_a_value = everything[values].notna().any(axis=1)  # all rung 0 here
        self.assertGreaterEqual(with_a_value.sum(), JOB.candidates_done)
        self.assertEqual(list(CLIENT.candidates(JOB, fidelity=0)["number"]),
                         list(everything[with_a_value]["number"]))
        with self.assertRaises(ValueError):
            CLIENT.candidates(JOB, states=["finished"])

    def test_front_rows_equal_their_candidate_rows(self):
        frame = CLIENT.candidates(JOB).set_index("id")
        front = CLIENT.pareto(JOB).set_index("id")
        self.assertLessEqual(set(front.index), set(frame.index))
        columns = [c for c in front.columns if c in frame.columns and c != "notes"]
        pd.testing.assert_frame_equal(front[columns], frame.loc[front.index, columns],
                                      check_names=False)

    def test_unknown_job_is_not_found(self):
        with self.assertRaises(edgenas.EdgenasError) as caught:
            CLIENT.list_candidates("no-such-job")
        self.assertEqual(caught.exception.code.name, "NOT_FOUND")


if __name__ == "__main__":
    unittest.main()
