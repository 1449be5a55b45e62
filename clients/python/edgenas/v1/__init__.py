"""The edgenas v1 API: messages (*_pb2) and gRPC stubs (*_pb2_grpc).

The modules are generated from proto/edgenas/v1/*.proto by stubgen.py when
the package is installed (`pip install ./clients/python`) or built by CMake
(target edgenas_python_client); they are not kept in the source tree.
"""
