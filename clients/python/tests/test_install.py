"""The documented offline install (README.md): `pip install --no-index
./clients/python` into a venv made with --system-site-packages, from a copy
of the checkout (clients/python and proto/), so the source tree stays
clean. The installed package must carry generated stubs and talk gRPC."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
CLIENT_DIR = os.path.dirname(HERE)
SOURCE_DIR = os.environ.get("EDGENAS_SOURCE_DIR") or os.path.dirname(os.path.dirname(CLIENT_DIR))

CHECK = """
import os, sys, grpc, edgenas
from edgenas.v1 import search_service_pb2_grpc, job_pb2
assert os.path.realpath(edgenas.__file__).startswith(os.path.realpath(sys.prefix)), edgenas.__file__
spec = edgenas.parse_spec_yaml("name: x\\nspace: {options: {kernels: [3, 5]}}")
assert spec.space.options["kernels"] == "3,5", spec
try:
    edgenas.Client("127.0.0.1:1", timeout=5).jobs()
except edgenas.EdgenasError as e:
    assert e.code == grpc.StatusCode.UNAVAILABLE, e
    print("installed", edgenas.__version__, "from", os.path.dirname(edgenas.__file__))
else:
    raise AssertionError("a call to a closed port succeeded")
"""


def ignore(folder, names):
    return [n for n in names if n in ("build", "__pycache__") or n.endswith(
        (".egg-info", "_pb2.py", "_pb2_grpc.py"))]


class OfflineInstall(unittest.TestCase):
    def test_pip_install_into_a_venv_with_system_site_packages(self):
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PIP_INDEX_URL")}
        with tempfile.TemporaryDirectory(prefix="edgenas-pip-") as root:
            checkout = os.path.join(root, "checkout")
            shutil.copytree(CLIENT_DIR, os.path.join(checkout, "clients", "python"),
                            ignore=ignore)
            shutil.copytree(os.path.join(SOURCE_DIR, "proto"), os.path.join(checkout, "proto"))
            venv = os.path.join(root, "venv")
            subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", venv],
                           check=True, env=env)
            install = subprocess.run(
                [os.path.join(venv, "bin", "pip"), "install", "--no-index", "./clients/python"],
                cwd=checkout, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                text=True)
            self.assertEqual(install.returncode, 0, install.stdout)
            check = subprocess.run([os.path.join(venv, "bin", "python"), "-c", CHECK], cwd=root,
                                   env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   text=True)
            self.assertEqual(check.returncode, 0, check.stdout)
            self.assertIn("installed 0.1.0", check.stdout)


if __name__ == "__main__":
    unittest.main()
