"""edgenas: a Python client for the edgenas coordinator (hardware-aware NAS).

    import edgenas
    client = edgenas.Client("localhost:50051")
    job = client.submit("examples/tiny_test.yaml")
    for event in client.watch(job): ...
    client.candidates(job)      # pandas DataFrame, one row per candidate
    client.pareto(job)          # the Pareto front; .attrs["hypervolume"]

See clients/python/README.md.
"""
try:  # the stubs are generated at install or build time, not kept in the sources
    from edgenas.v1 import common_pb2 as _common_pb2  # noqa: F401
except ImportError as _e:
    if not (_e.name or "").startswith("edgenas.v1") and "edgenas.v1" not in str(_e):
        raise
    raise ImportError(
        "the edgenas.v1 stubs are missing (is this the source folder, clients/python/"
        "edgenas?): install the client with `pip install ./clients/python` (see "
        "clients/python/README.md) or build the CMake target edgenas_python_client and put "
        "BUILD/python on PYTHONPATH") from _e

from edgenas.errors import EdgenasError
from edgenas.client import Client
from edgenas.types import Candidate, Event, Job
from edgenas.spec import load_file as load_spec_file, parse_yaml as parse_spec_yaml

__version__ = "0.1.0"
__all__ = ["Client", "EdgenasError", "Job", "Event", "Candidate", "load_spec_file",
           "parse_spec_yaml", "__version__"]
