#!/usr/bin/python3
"""Unit tests for optuna_peer.py (run with /usr/bin/python3, which has optuna)."""

import contextlib
import csv
import importlib.util
import io
import itertools
import json
import os
import random
import tempfile
import unittest

_HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location(
    "optuna_peer", os.path.join(_HERE, "optuna_peer.py"))
peer = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(peer)

BUDGET = 20


def all_archs():
    return [peer.arch_string(ops)
            for ops in itertools.product(peer.OPS, repeat=peer.NUM_EDGES)]


class OptunaPeerTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.path = os.path.join(cls.tmp.name, "table.csv")
        rng = random.Random(7)
        cls.archs = all_archs()
        with open(cls.path, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["arch_index", "arch", "acc", "lat", "note"])
            for i, a in enumerate(cls.archs):
                w.writerow([i, a, "%.4f" % rng.uniform(10, 90),
                            "%.4f" % rng.uniform(0.5, 9), "x"])
        cls.table = peer.load_table(cls.path, "arch", ["acc", "lat"])

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def run_main(self, argv):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = peer.main(argv)
        return rc, out.getvalue(), err.getvalue()

    def check_trace(self, result, sampler, seed):
        archs = result["archs"]
        self.assertEqual(result["sampler"], sampler)
        self.assertEqual(result["seed"], seed)
        self.assertEqual(len(archs), BUDGET)
        self.assertEqual(len(set(archs)), BUDGET)
        for a in archs:
            self.assertIn(a, self.table)
        self.assertGreaterEqual(result["trials"], BUDGET)

    def test_table_covers_nb201(self):
        self.assertEqual(len(self.archs), 15625)
        self.assertEqual(len(set(self.archs)), 15625)
        self.assertEqual(
            peer.arch_string(["nor_conv_3x3", "nor_conv_3x3", "none",
                              "skip_connect", "nor_conv_1x1",
                              "nor_conv_3x3"]),
            "|nor_conv_3x3~0|+|nor_conv_3x3~0|none~1|+|skip_connect~0|"
            "nor_conv_1x1~1|nor_conv_3x3~2|")

    def test_all_samplers_single_and_multi(self):
        for sampler in peer.SAMPLERS:
            for multi in (False, True):
                with self.subTest(sampler=sampler, multi=multi):
                    runs = [peer.run_seed(self.table, sampler, seed, BUDGET,
                                          population=8 if sampler == "nsga2"
                                          else 0,
                                          multi_objective=multi)
                            for seed in (0, 0, 1)]
                    for r, seed in zip(runs, (0, 0, 1)):
                        self.check_trace(r, sampler, seed)
                    # Deterministic per seed.
                    self.assertEqual(runs[0]["archs"], runs[1]["archs"])
                    self.assertEqual(runs[0]["trials"], runs[1]["trials"])
                    self.assertNotEqual(runs[0]["archs"], runs[2]["archs"])

    def test_nsga2_default_population(self):
        r = peer.run_seed(self.table, "nsga2", 3, BUDGET,
                          multi_objective=True)
        self.check_trace(r, "nsga2", 3)

    def test_main_json_lines(self):
        rc, out, _ = self.run_main([
            "--table", self.path, "--accuracy", "acc", "--latency", "lat",
            "--sampler", "random", "--seeds", "0,1", "--budget",
            str(BUDGET)])
        self.assertEqual(rc, 0)
        lines = out.strip().splitlines()
        self.assertEqual(len(lines), 2)
        for line, seed in zip(lines, (0, 1)):
            r = json.loads(line)
            self.check_trace(r, "random", seed)
            self.assertEqual(set(r), {"sampler", "seed", "trials", "seconds",
                                      "archs"})

    def test_trial_cap_warns(self):
        # 400 random draws over 15625 archs repeat with near certainty
        # (~5 expected collisions), so factor 1 stops short of the budget.
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            r = peer.run_seed(self.table, "random", 0, 400,
                              max_trials_factor=1)
        self.assertEqual(r["trials"], 400)
        self.assertLess(len(r["archs"]), 400)
        self.assertEqual(len(set(r["archs"])), len(r["archs"]))
        self.assertIn("warning", err.getvalue())

    def test_missing_file(self):
        rc, _, err = self.run_main([
            "--table", os.path.join(self.tmp.name, "nope.csv"),
            "--accuracy", "acc", "--sampler", "random", "--seeds", "0",
            "--budget", "5"])
        self.assertEqual(rc, 2)
        self.assertIn("nope.csv", err)

    def test_unknown_column(self):
        rc, _, err = self.run_main([
            "--table", self.path, "--accuracy", "acc", "--latency", "latency",
            "--sampler", "random", "--seeds", "0", "--budget", "5"])
        self.assertEqual(rc, 2)
        self.assertIn("'latency'", err)
        self.assertIn("arch_index, arch, acc, lat, note", err)

    def test_non_numeric(self):
        path = os.path.join(self.tmp.name, "bad.csv")
        with open(path, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["arch", "acc", "lat"])
            w.writerow([self.archs[0], "1.0", "2.0"])
            w.writerow([self.archs[1], "oops", "2.0"])
        rc, _, err = self.run_main([
            "--table", path, "--accuracy", "acc", "--sampler", "random",
            "--seeds", "0", "--budget", "5"])
        self.assertEqual(rc, 2)
        self.assertIn("'acc'", err)
        self.assertIn("data row 2", err)
        # The unused column is not checked.
        with open(path, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["arch", "acc", "lat"])
            w.writerow([self.archs[0], "1.0", "n/a"])
        self.assertEqual(len(peer.load_table(path, "arch", ["acc"])), 1)

    def test_arch_missing_from_table(self):
        path = os.path.join(self.tmp.name, "partial.csv")
        with open(path, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["arch", "acc"])
            w.writerow([self.archs[0], "1.0"])
        rc, _, err = self.run_main([
            "--table", path, "--accuracy", "acc", "--sampler", "random",
            "--seeds", "0", "--budget", "5"])
        self.assertEqual(rc, 2)
        self.assertIn("not in the table", err)


if __name__ == "__main__":
    unittest.main()
