"""Installs the edgenas Python client; the gRPC stubs are generated from the
repository's proto/ folder while building (stubgen.py), so install from a
checkout: see README.md for the offline command."""
import os
import sys

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import stubgen  # noqa: E402  (beside this file)


def proto_dir():
    return os.environ.get("EDGENAS_PROTO_DIR") or os.path.join(HERE, "..", "..", "proto")


class BuildPyWithStubs(build_py):
    """build_py, then edgenas/v1/*_pb2.py and *_pb2_grpc.py into the build folder."""

    def run(self):
        super().run()
        try:
            written = stubgen.generate(proto_dir(), self.build_lib)
        except stubgen.StubError as e:
            sys.exit(f"error: {e}")
        for path in written:
            self.announce(f"generated {path}", level=2)


setup(
    name="edgenas",
    version="0.1.0",
    description="Python client for the edgenas hardware-aware NAS coordinator",
    long_description=open(os.path.join(HERE, "README.md"), encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    packages=find_packages(include=["edgenas", "edgenas.*"]),
    python_requires=">=3.9",
    # Debian 12: python3-grpcio 1.51, python3-protobuf 4.21 (protoc 3.21
    # output needs >= 3.20), python3-pandas 1.5, python3-yaml 6.
    install_requires=["grpcio>=1.51", "protobuf>=3.20", "pandas>=1.5", "PyYAML>=5.4"],
    cmdclass={"build_py": BuildPyWithStubs},
)
