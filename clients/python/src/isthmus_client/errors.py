"""Reading a refused call: which fields the server named, and whether a retry can help."""

from __future__ import annotations

import grpc
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2

# Where gRPC carries a google.rpc.Status with its details (the same key in every language).
STATUS_DETAILS_KEY = "grpc-status-details-bin"


def field_violations(error: grpc.RpcError) -> list[tuple[str, str]]:
    """The (field, description) pairs of a call refused with ``INVALID_ARGUMENT`` (empty if none).

    Fields are request paths such as ``record.emails[1].address``; for a batch item, paths are
    relative to the item.
    """
    # grpc.Call (blocking stubs) and grpc.aio.AioRpcError both carry trailing_metadata().
    trailing = getattr(error, "trailing_metadata", None)
    for key, value in (trailing() if trailing else None) or ():
        if key == STATUS_DETAILS_KEY:
            status = status_pb2.Status.FromString(value)
            out: list[tuple[str, str]] = []
            for detail in status.details:
                bad = error_details_pb2.BadRequest()
                if detail.Unpack(bad):
                    out.extend((v.field, v.description) for v in bad.field_violations)
            return out
    return []


def status_details(code: grpc.StatusCode, message: str, violations: list[tuple[str, str]]) -> bytes:
    """The serialized google.rpc.Status with a BadRequest, for ``STATUS_DETAILS_KEY`` (server side)."""
    status = status_pb2.Status(code=code.value[0], message=message)
    detail = any_pb2.Any()
    detail.Pack(
        error_details_pb2.BadRequest(
            field_violations=[
                error_details_pb2.BadRequest.FieldViolation(field=f, description=d) for f, d in violations
            ]
        )
    )
    status.details.append(detail)
    return status.SerializeToString()
