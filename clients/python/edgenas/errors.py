"""EdgenasError: what the coordinator (or the edgenas CLI) refused, with the
gRPC status code and the server's message, which names the bad field."""
import re

import grpc

# "objectives[1].metric: unknown metric ..." -> "objectives[1].metric".
_FIELD_PREFIX = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*(?:\[\d+\])*"
                           r"(?:\.[A-Za-z0-9_]+(?:\[\d+\])*)*): ")


class EdgenasError(Exception):
    """A refused or failed call.

    Attributes:
      code:    a grpc.StatusCode (INVALID_ARGUMENT for a bad spec, NOT_FOUND
               for an unknown job or candidate, UNAUTHENTICATED for a missing
               or unknown token, UNAVAILABLE when the coordinator is down).
      message: the server's (or the CLI's) message, unchanged.
      field:   the field path the message starts with
               (e.g. "job.objectives[0].metric"), or None.
    """

    def __init__(self, code, message):
        if not isinstance(code, grpc.StatusCode):
            raise TypeError(f"code must be a grpc.StatusCode, got {code!r}")
        self.code = code
        self.message = message
        match = _FIELD_PREFIX.match(message)
        self.field = match.group(1) if match else None
        super().__init__(f"{code.name}: {message}")

    @classmethod
    def from_rpc_error(cls, error, what=None):
        """The EdgenasError of a grpc.RpcError (`what` names the call when the
        server sent no message, e.g. a dropped connection)."""
        code = error.code() if hasattr(error, "code") else grpc.StatusCode.UNKNOWN
        details = error.details() if hasattr(error, "details") else None
        if not details:
            details = f"{what or 'call'} failed with no message from the server"
        return cls(code or grpc.StatusCode.UNKNOWN, details)

    @classmethod
    def from_code_name(cls, name, message):
        """From a status code's name as absl and the CLI print it ("NOT_FOUND")."""
        code = getattr(grpc.StatusCode, name, grpc.StatusCode.UNKNOWN)
        return cls(code, message)
