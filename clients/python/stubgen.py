#!/usr/bin/env python3
"""Generates the edgenas.v1 gRPC stubs (messages and service stubs) from proto/.

Used by setup.py (at `pip install` time, into the wheel's build folder) and
by CMake (target edgenas_python_client, into BUILD/python, where the CTest
tests import the package from). One code path for both, so what the tests
import is what pip installs.

protoc writes edgenas/v1/job.proto to OUT/edgenas/v1/job_pb2.py with
`from edgenas.v1 import common_pb2`: the generated modules already import
each other as `edgenas.v1.*`, so they only need to land inside this
package's edgenas/v1/ folder, with no rewriting of imports.

The compiler is $PROTOC or `protoc` on PATH, the gRPC plugin
$GRPC_PYTHON_PLUGIN or `grpc_python_plugin` on PATH (Debian:
protobuf-compiler, protobuf-compiler-grpc); when either is missing and the
grpcio-tools package is importable, its bundled protoc is used instead.

Usage: stubgen.py --proto_dir DIR --out DIR [--package_src DIR]
  --package_src  also copy the package's Python sources (clients/python/edgenas)
                 to OUT/edgenas first, so OUT is a complete importable package.
"""
import argparse
import os
import shutil
import subprocess
import sys

PROTO_PACKAGE_DIR = os.path.join("edgenas", "v1")


class StubError(RuntimeError):
    """Stub generation failed; the message says why and what to install."""


def proto_files(proto_dir):
    """The .proto files under PROTO_DIR/edgenas/v1, relative to PROTO_DIR, sorted."""
    folder = os.path.join(proto_dir, PROTO_PACKAGE_DIR)
    if not os.path.isdir(folder):
        raise StubError(f"{folder}: no such folder (the edgenas protos; set "
                        "EDGENAS_PROTO_DIR to the repository's proto/ folder)")
    names = sorted(n for n in os.listdir(folder) if n.endswith(".proto"))
    if not names:
        raise StubError(f"{folder}: holds no .proto files")
    return [os.path.join(PROTO_PACKAGE_DIR, n) for n in names]


def _compiler_command():
    """The protoc command line prefix with the Python gRPC plugin."""
    protoc = os.environ.get("PROTOC") or shutil.which("protoc")
    plugin = os.environ.get("GRPC_PYTHON_PLUGIN") or shutil.which("grpc_python_plugin")
    if protoc and plugin:
        return [protoc, f"--plugin=protoc-gen-grpc={plugin}"], "--grpc_out"
    try:
        import grpc_tools  # noqa: F401  (grpcio-tools bundles protoc and the plugin)
        return [sys.executable, "-m", "grpc_tools.protoc"], "--grpc_python_out"
    except ImportError:
        pass
    missing = [name for name, found in (("protoc", protoc), ("grpc_python_plugin", plugin))
               if not found]
    raise StubError(
        f"cannot generate the gRPC stubs: {' and '.join(missing)} not found on PATH "
        "(Debian: apt-get install protobuf-compiler protobuf-compiler-grpc; or set "
        "$PROTOC and $GRPC_PYTHON_PLUGIN)")


def generate(proto_dir, out_dir):
    """Writes OUT/edgenas/v1/*_pb2.py and *_pb2_grpc.py; returns their paths."""
    proto_dir = os.path.abspath(proto_dir)
    files = proto_files(proto_dir)
    os.makedirs(os.path.join(out_dir, PROTO_PACKAGE_DIR), exist_ok=True)
    command, grpc_flag = _compiler_command()
    command = command + [f"--proto_path={proto_dir}", f"--python_out={out_dir}",
                         f"{grpc_flag}={out_dir}"] + files
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if result.returncode != 0:
        raise StubError(f"protoc failed (exit {result.returncode}): {' '.join(command)}\n"
                        f"{result.stdout.strip()}")
    written = []
    for proto in files:
        stem = os.path.splitext(proto)[0]
        for suffix in ("_pb2.py", "_pb2_grpc.py"):
            path = os.path.join(out_dir, stem + suffix)
            if not os.path.isfile(path):
                raise StubError(f"protoc reported success but did not write {path}")
            written.append(path)
    init = os.path.join(out_dir, PROTO_PACKAGE_DIR, "__init__.py")
    if not os.path.exists(init):
        with open(init, "w", encoding="utf-8") as f:
            f.write('"""Generated from proto/edgenas/v1 (messages and gRPC stubs)."""\n')
    return written


def copy_package(package_src, out_dir):
    """Copies the package's .py sources to OUT/edgenas (stale copies replaced)."""
    target = os.path.join(out_dir, "edgenas")
    for root, _, names in os.walk(package_src):
        rel = os.path.relpath(root, package_src)
        if "__pycache__" in rel.split(os.sep):
            continue
        os.makedirs(os.path.join(target, rel), exist_ok=True)
        for name in names:
            if name.endswith(".py") and not name.endswith(("_pb2.py", "_pb2_grpc.py")):
                shutil.copy2(os.path.join(root, name), os.path.join(target, rel, name))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--proto_dir", required=True, help="the repository's proto/ folder")
    parser.add_argument("--out", required=True, help="folder that receives edgenas/v1/")
    parser.add_argument("--package_src", help="clients/python/edgenas, copied to OUT/edgenas")
    parser.add_argument("--stamp", help="file touched on success (for build systems)")
    args = parser.parse_args(argv)
    try:
        if args.package_src:
            copy_package(args.package_src, args.out)
        generate(args.proto_dir, args.out)
    except StubError as e:
        print(f"stubgen: error: {e}", file=sys.stderr)
        return 1
    if args.stamp:
        with open(args.stamp, "w", encoding="utf-8") as f:
            f.write("ok\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
