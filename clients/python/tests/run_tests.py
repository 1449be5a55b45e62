#!/usr/bin/env python3
"""CTest entry point for the Python client's tests: runs one test module
with unittest and exits 0 (passed), 1 (failed) or 77 (skipped: CTest's
SKIP_RETURN_CODE) when Debian's python3-grpcio, python3-protobuf,
python3-pandas or python3-yaml is missing, or when CMake could not generate
the stubs (no grpc_python_plugin; $EDGENAS_PY_STUBS_MISSING says why).

Usage: run_tests.py MODULE   (test_client, test_spec, test_frames, test_candidates, test_install)
The package comes from $PYTHONPATH (CTest: BUILD/python, made by the
edgenas_python_client target); the binaries from $EDGENAS_BIN_DIR.
"""
import importlib
import os
import sys
import unittest

SKIP = 77
NEEDED = [("grpc", "python3-grpcio"), ("google.protobuf", "python3-protobuf"),
          ("pandas", "python3-pandas"), ("yaml", "python3-yaml")]


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    missing = []
    for module, package in NEEDED:
        try:
            importlib.import_module(module)
        except ImportError:
            missing.append(package)
    if missing:
        print(f"SKIP: {', '.join(missing)} not installed for {sys.executable} "
              f"(apt-get install {' '.join(missing)})")
        return SKIP
    reason = os.environ.get("EDGENAS_PY_STUBS_MISSING")
    if reason:
        print(f"SKIP: the edgenas.v1 stubs were not generated: {reason}")
        return SKIP
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    suite = unittest.defaultTestLoader.loadTestsFromName(sys.argv[1])
    result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
    if result.testsRun > 0 and len(result.skipped) == result.testsRun:
        print("SKIP: every test skipped")
        return SKIP
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
