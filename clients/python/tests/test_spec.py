"""Job specs from YAML and dicts: the CLI's rules (cli/job_spec_yaml.cc,
tests/cli/job_spec_yaml_test.cc) reproduced, then checked against the CLI
itself: every examples/*.yaml submitted by `edgenas submit` and by the
client must be stored as the same JobSpec by a real coordinator, and
malformed files must be refused with the same message."""
import glob
import os
import subprocess
import tempfile
import unittest

import grpc

import edgenas
from edgenas import spec
from edgenas.v1 import common_pb2, job_pb2

import cluster

SOURCE_DIR = os.environ.get("EDGENAS_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", "..", ".."))


def error_of(text):
    try:
        spec.parse_yaml(text)
    except edgenas.EdgenasError as e:
        return e
    raise AssertionError(f"accepted: {text!r}")


class YamlRules(unittest.TestCase):
    def test_unknown_key_names_path_known_fields_and_line(self):
        # As the CLI: the field path, the known fields and the 1-based line.
        e = error_of("name: x\nobjectives:\n  - {metric: accuracy}\n  - {metrc: latency_ms}\n")
        self.assertEqual(e.code, grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("objectives[1].metrc: unknown field; known: metric, direction, "
                      "device_class", e.message)
        self.assertIn("(line 4)", e.message)
        self.assertEqual(e.field, "objectives[1].metrc")
        self.assertIn("nmae: unknown field; known: name, space", error_of("nmae: x\n").message)

    def test_wrong_types_name_path_expected_type_and_value(self):
        # Scalars are typed by the field; a quoted number is a string.
        cases = {
            "budget:\n  max_evaluations: lots\n":
                'budget.max_evaluations: expected an integer, got "lots" (line 2)',
            "budget: {max_evaluations: 2.5}": 'expected an integer, got "2.5"',
            "evaluation: {learning_rate: fast}":
                'evaluation.learning_rate: expected a number, got "fast"',
            "name: {a: 1}": "name: expected a string, got a map",
            "space: nb201": 'space: expected a map, got "nb201"',
            "objectives: {metric: accuracy}": "objectives: expected a list, got a map",
            "seed: -1": "seed: expected a non-negative integer",
            "seed: \"5\"": 'seed: expected a non-negative integer, got "5" (quoted, so a string)',
            "parallelism: 99999999999": "parallelism: integer 99999999999 is out of the "
                                        "32-bit range",
            "parallelism:": "parallelism: expected an integer, got null",
            "latency: {screen_with_table: yes}": 'expected true or false, got "yes"',
            "objectives: [{direction: up}]":
                'objectives[0].direction: expected one of maximize, minimize, got "up"',
            "objective_mode: best":
                "objective_mode: expected one of pareto, scalarized, lexicographic, got",
        }
        for text, expected in cases.items():
            with self.subTest(text=text):
                self.assertIn(expected, error_of(text).message)

    def test_enum_words_any_case_and_quoted(self):
        s = spec.parse_yaml('objectives: [{metric: accuracy, direction: MAXIMIZE},'
                            ' {metric: params, direction: "minimize"}]\n'
                            'objective_mode: Scalarized\n')
        self.assertEqual([o.direction for o in s.objectives],
                         [common_pb2.MAXIMIZE, common_pb2.MINIMIZE])
        self.assertEqual(s.objective_mode, job_pb2.SCALARIZED)

    def test_empty_non_map_malformed_and_several_documents_refused(self):
        self.assertIn("job spec is empty", error_of("").message)
        self.assertIn("job spec is empty", error_of("# only a comment\n").message)
        self.assertIn("job spec: expected a map", error_of("- name: x\n").message)
        self.assertIn("job spec: expected a map", error_of("just words").message)
        self.assertIn("not valid YAML", error_of("name: x\nspace: {name: nb201\n").message)
        self.assertIn("name: field given twice (line 2)", error_of("name: x\nname: y\n").message)
        self.assertIn("expected one YAML document",
                      error_of("name: x\n---\nname: y\n").message)

    def test_space_options_lists_join_with_commas(self):
        # The CLI's special case: a list option is stored as its comma-joined text.
        s = spec.parse_yaml("space: {name: mbv3, options: {kernels: [3, 5, 7], depth: 4}}")
        self.assertEqual(dict(s.space.options), {"kernels": "3,5,7", "depth": "4"})
        self.assertIn("space.options.channels: expected plain values, got a list",
                      error_of("space: {options: {channels: [[1]]}}").message)
        self.assertIn("space.options: expected a map, got a list",
                      error_of("space: {options: [1]}").message)
        self.assertIn("space.options.channels: key given twice",
                      error_of("space: {options: {channels: 1, channels: 2}}").message)
        # Only space.options: a list under strategy.params is refused.
        self.assertIn("strategy.params.initial: expected a string, got a list",
                      error_of("strategy: {params: {initial: [1]}}").message)

    def test_tags_anchors_aliases_control_characters_and_size_refused(self):
        self.assertIn("tags (!)", error_of("name: !t x").message)
        self.assertIn("anchors (&)", error_of("a: &x [1]\nb: *x").message)
        self.assertIn("control character 0x0", error_of("name: a\x00b").message)
        self.assertIn("bytes; at most 1048576",
                      error_of("name: " + "x" * (1 << 20)).message)

    def test_missing_file_is_not_found_and_file_errors_carry_the_path(self):
        with self.assertRaises(edgenas.EdgenasError) as caught:
            spec.load_file("/nonexistent/job.yaml")
        self.assertEqual(caught.exception.code, grpc.StatusCode.NOT_FOUND)
        self.assertIn("/nonexistent/job.yaml", caught.exception.message)
        with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
            f.write("name: x\nbudget: {max_evaluations: many}\n")
            f.flush()
            with self.assertRaises(edgenas.EdgenasError) as caught:
                spec.to_job_spec(f.name)
            self.assertTrue(caught.exception.message.startswith(
                f"{f.name}: budget.max_evaluations: expected an integer"))


class DictRules(unittest.TestCase):
    def test_dict_gives_the_same_spec_as_yaml(self):
        # The YAML keys, Python values: numbers may be given as numbers to strings.
        from_yaml = spec.load_file(os.path.join(SOURCE_DIR, "examples", "tiny_test.yaml"))
        from_dict = spec.from_dict({
            "name": "tiny-test",
            "space": {"name": "nb201", "options": {"cells_per_stage": 1, "channels": 8}},
            "strategy": {"name": "random"},
            "objectives": [{"metric": "accuracy", "direction": "maximize"},
                           {"metric": "latency_ms", "direction": common_pb2.MINIMIZE,
                            "device_class": "cpu"}],
            "evaluation": {"mode": "full_train", "train_steps": 10, "batch_size": 32,
                           "learning_rate": 0.05, "validation_examples": 256},
            "dataset": {"name": "fashion_mnist", "path": "/usr/share/datasets/fashion-mnist"},
            "latency": {"warmup_ms": 20, "min_runs": 5, "max_runs": 10, "threads": 1,
                        "batch_size": 1},
            "budget": {"max_evaluations": 4, "max_wall_seconds": 300},
            "parallelism": 2, "seed": 7, "max_attempts": 2, "lease_seconds": 30})
        self.assertEqual(from_dict, from_yaml)

    def test_dict_type_errors_name_the_path(self):
        cases = [({"budget": {"max_evaluations": "3"}},
                  'budget.max_evaluations: expected an integer, got "3"'),
                 ({"budget": {"max_evaluations": 2.0}},
                  "budget.max_evaluations: expected an integer, got 2.0"),
                 ({"parallelism": True}, "parallelism: expected an integer, got true"),
                 ({"objectives": [{"metric": "accuracy", "direction": 0}]},
                  "objectives[0].direction: expected one of maximize, minimize, got 0"),
                 ({"name": None}, "name: expected a string, got null"),
                 ({"objectives": {"metric": "accuracy"}}, "objectives: expected a list, got a map"),
                 ({"budgett": {}}, "budgett: unknown field; known: name, space"),
                 ({"space": {"options": {"kernels": [3, [5]]}}},
                  "space.options.kernels: expected plain values, got a list")]
        for value, expected in cases:
            with self.subTest(value=value):
                with self.assertRaises(edgenas.EdgenasError) as caught:
                    spec.from_dict(value)
                self.assertIn(expected, caught.exception.message)

    def test_submit_refuses_other_types(self):
        with self.assertRaises(TypeError):
            spec.to_job_spec(42)


MALFORMED_FILES = [
    "name: x\nobjectives:\n  - {metric: accuracy}\n  - {metrc: latency_ms}\n",
    "name: x\nbudget:\n  max_evaluations: lots\n",
    "seed: \"5\"\n",
    "parallelism: 99999999999\n",
    "parallelism:\n",
    "parallelism:\n\n# comment\nseed: 3\n",
    "budget: {max_evaluations: }\n",
    "objectives:\n  -\n  - {metric: accuracy}\n",
    "name: x\nobjectives:\n  - {metric: accuracy, direction: maximize, reference: high}\n",
    "strategy: {name: random, params: {initial: [1, 2]}}\n",
    "nmae: x\n",
    "space: [nb201]\n",
    "objectives: [{metric: accuracy, direction: up}]\n",
    "space: {options: {channels: 1, channels: 2}}\n",
    "space: {options: {channels: [[1]]}}\n",
    "name: x\nname: y\n",
    "latency: {screen_with_table: yes}\n",
    "a: &x [1]\nb: *x\n",
    "- name: x\n",
    "dataset: {name: fashion_mnist, mean: [0.5, high]}\n",
]


class AgainstTheCli(unittest.TestCase):
    """The CLI's parser and the client's on the same files, through a real
    coordinator (no executors: the jobs stay pending)."""

    @classmethod
    def setUpClass(cls):
        cls.cluster = cluster.Cluster(executors=False).start()
        cls.client = edgenas.Client(cls.cluster.address)

    @classmethod
    def tearDownClass(cls):
        cls.client.close()
        cls.cluster.stop()

    def cli_submit(self, path):
        return subprocess.run([self.cluster.binary("edgenas"), "submit", path,
                               f"--coordinator={self.cluster.address}"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              timeout=120)

    def submit_both(self, spec_text, folder):
        """The spec written to FOLDER/job.yaml, submitted by the CLI and by
        the client: (the CLI's CompletedProcess, the client's Job or error)."""
        path = os.path.join(folder, "job.yaml")
        with open(path, "w", encoding="utf-8") as f:
            f.write(spec_text)
        cli = self.cli_submit(path)
        try:
            mine = self.client.submit(path)
        except edgenas.EdgenasError as e:
            mine = e
        return cli, mine

    def test_image_folder_classes_are_filled_as_by_the_cli(self):
        # An image_folder job's classes come from the folder (or CSV) alike.
        with tempfile.TemporaryDirectory() as folder:
            for cls_name in ("zebra", "ant", "Moth", ".hidden"):
                os.makedirs(os.path.join(folder, "imgs", "train", cls_name))
                with open(os.path.join(folder, "imgs", "train", cls_name, "a.png"), "wb") as f:
                    f.write(b"not decoded at submit")
            with open(os.path.join(folder, "labels.csv"), "w", encoding="utf-8") as f:
                f.write("path,label\nimgs/train/ant/a.png,insect\n"
                        "imgs/train/zebra/a.png,mammal\nmissing.png,ghost\nnotes.txt,text\n")
            for path, expected in ((os.path.join(folder, "imgs"), ["Moth", "ant", "zebra"]),
                                   (os.path.join(folder, "labels.csv"), ["insect", "mammal"])):
                with self.subTest(path=path):
                    text = ("space: {name: nb201}\nbudget: {max_evaluations: 2}\n"
                            "objectives: [{metric: accuracy, direction: maximize}]\n"
                            "dataset: {name: image_folder, path: '%s', image_size: 16, "
                            "channels: 1}\n" % path)
                    cli, mine = self.submit_both(text, folder)
                    self.assertEqual(cli.returncode, 0, cli.stderr)
                    self.assertIsInstance(mine, edgenas.Job)
                    theirs = self.client.job(cli.stdout.strip())
                    self.assertEqual(list(theirs.spec.dataset.class_names), expected)
                    self.assertEqual(mine.spec, theirs.spec)
                    self.client.cancel(mine)
                    self.client.cancel(theirs)

    def test_a_disagreeing_image_folder_class_count_is_refused_alike(self):
        with tempfile.TemporaryDirectory() as folder:
            for cls_name in ("a", "b"):
                os.makedirs(os.path.join(folder, "train", cls_name))
            text = ("space: {name: nb201}\nbudget: {max_evaluations: 2}\n"
                    "objectives: [{metric: accuracy, direction: maximize}]\n"
                    "dataset: {name: image_folder, path: '%s', image_size: 16, channels: 3, "
                    "num_classes: 5}\n" % folder)
            cli, mine = self.submit_both(text, folder)
            self.assertNotEqual(cli.returncode, 0)
            self.assertIsInstance(mine, edgenas.EdgenasError)
            self.assertEqual(mine.code, grpc.StatusCode.INVALID_ARGUMENT)
            self.assertIn("dataset.num_classes", mine.message)
            self.assertIn(mine.message, cli.stderr)

    def test_every_example_is_stored_as_the_same_spec(self):
        examples = sorted(glob.glob(os.path.join(SOURCE_DIR, "examples", "*.yaml")))
        self.assertGreater(len(examples), 3)
        for path in examples:
            with self.subTest(example=os.path.basename(path)):
                cli = self.cli_submit(path)
                mine = None
                try:
                    mine = self.client.submit(path)
                except edgenas.EdgenasError as e:
                    mine = e
                if cli.returncode != 0:
                    # Refused by the coordinator: the client must be refused alike.
                    self.assertIsInstance(mine, edgenas.EdgenasError, cli.stderr)
                    self.assertIn(mine.message, cli.stderr)
                    continue
                self.assertIsInstance(mine, edgenas.Job, cli.stderr)
                theirs = self.client.job(cli.stdout.strip())
                self.assertEqual(mine.spec, theirs.spec)
                self.client.cancel(mine)
                self.client.cancel(theirs)

    def test_malformed_files_refused_with_the_cli_message(self):
        with tempfile.TemporaryDirectory() as folder:
            for i, text in enumerate(MALFORMED_FILES):
                path = os.path.join(folder, f"bad{i}.yaml")
                with open(path, "w", encoding="utf-8") as f:
                    f.write(text)
                with self.subTest(text=text):
                    cli = self.cli_submit(path)
                    self.assertEqual(cli.returncode, 1, cli.stdout + cli.stderr)
                    with self.assertRaises(edgenas.EdgenasError) as caught:
                        self.client.submit(path)
                    self.assertEqual(cli.stderr.strip(),
                                     f"error: {caught.exception.code.name}: "
                                     f"{caught.exception.message}")


if __name__ == "__main__":
    unittest.main()
