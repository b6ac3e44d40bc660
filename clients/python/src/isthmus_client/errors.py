"""Reading a refused call: which fields the server named, and whether a retry can help.

A refused item of a batch (``UpsertResult.error``) is a ``google.rpc.Status`` with the same code,
message and details its own call would have had: :func:`error_info` and :func:`field_violations`
read it as they read a refused call, and :func:`rpc_error` turns it into that call's exception.
"""

from __future__ import annotations

from typing import Any

import grpc
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2

# Where gRPC carries a google.rpc.Status with its details (the same key in every language).
STATUS_DETAILS_KEY = "grpc-status-details-bin"
# The ``google.rpc.ErrorInfo`` domain of every reason below.
DOMAIN = "isthmus"

# Every refusal carries a google.rpc.ErrorInfo with one of these reasons (stable: branch on them,
# never on the message). The general ones, one per kind of refusal:
FIELD_INVALID = "FIELD_INVALID"  # INVALID_ARGUMENT; a BadRequest names the fields
NOT_FOUND = "NOT_FOUND"  # NOT_FOUND
ALREADY_EXISTS = "ALREADY_EXISTS"  # ALREADY_EXISTS: the thing exists (a coupon code taken)
PRECONDITION_FAILED = "PRECONDITION_FAILED"  # FAILED_PRECONDITION
CONCURRENT_WRITE = "CONCURRENT_WRITE"  # ABORTED: a concurrent request won; sending it again is safe
UNAUTHENTICATED = "UNAUTHENTICATED"  # UNAUTHENTICATED
PERMISSION_DENIED = "PERMISSION_DENIED"  # PERMISSION_DENIED: the token lacks the method's scope
RESOURCE_EXHAUSTED = "RESOURCE_EXHAUSTED"  # RESOURCE_EXHAUSTED: over a size or concurrency limit
UNAVAILABLE = "UNAVAILABLE"  # UNAVAILABLE: a dependency is down; retry later
DATABASE_UNAVAILABLE = "DATABASE_UNAVAILABLE"  # UNAVAILABLE: the service's database; retry later
NOT_IMPLEMENTED = "NOT_IMPLEMENTED"  # UNIMPLEMENTED
INTERNAL_ERROR = "INTERNAL_ERROR"  # INTERNAL: a bug; the message has the correlation id to report
# The particular ones, where a client reacts differently than to the general reason of the code:
# ABORTED: expected_version is not the current version (metadata "current_version"); read again.
VERSION_STALE = "VERSION_STALE"
# FAILED_PRECONDITION: the object's state does not allow the change (metadata "state").
ILLEGAL_TRANSITION = "ILLEGAL_TRANSITION"
# ALREADY_EXISTS: a retry key (a request_id, a natural key) came back with a different request
# (metadata "field": the first field that differs).
KEY_REUSED = "KEY_REUSED"
# FAILED_PRECONDITION: a coupon of an order cannot be used (metadata "field": ``coupon_codes[i]``,
# "rejection": the ``CouponRejection`` value's name, e.g. ``COUPON_REJECTION_EXPIRED``).
COUPON_REJECTED = "COUPON_REJECTED"

# ErrorInfo reasons that say the caller's configuration is at fault, not the data it sent: sending
# the same request again cannot succeed until an operator changes the setting named in the metadata
# (key "setting"). A refused batch item carries the same ErrorInfo in its ``google.rpc.Status``.
UNKNOWN_SOURCE_SYSTEM = "UNKNOWN_SOURCE_SYSTEM"
CONFIGURATION_REASONS = frozenset({UNKNOWN_SOURCE_SYSTEM})
# A reference names something of another customer, e.g. a service request's order (metadata "field").
ORDER_OF_ANOTHER_CUSTOMER = "ORDER_OF_ANOTHER_CUSTOMER"
# A tracer names an order the order service has not reported shipped (metadata "field").
ORDER_NOT_SHIPPED = "ORDER_NOT_SHIPPED"


_CODES = {code.value[0]: code for code in grpc.StatusCode}


def error_info(error: grpc.RpcError | status_pb2.Status) -> tuple[str, dict[str, str]]:
    """The ``google.rpc.ErrorInfo`` reason and metadata of a refused call or batch item (``("", {})``
    if none)."""
    status = _status(error)
    if status is not None:
        for detail in status.details:
            info = error_details_pb2.ErrorInfo()
            if detail.Unpack(info):
                return info.reason, dict(info.metadata)
    return "", {}


def _status(error: grpc.RpcError | status_pb2.Status) -> status_pb2.Status | None:
    if isinstance(error, status_pb2.Status):
        return error
    trailing = getattr(error, "trailing_metadata", None)
    for key, value in (trailing() if trailing else None) or ():
        if key == STATUS_DETAILS_KEY:
            return status_pb2.Status.FromString(value)
    return None


def field_violations(error: grpc.RpcError | status_pb2.Status) -> list[tuple[str, str]]:
    """The (field, description) pairs of a call or batch item refused with ``INVALID_ARGUMENT``
    (empty if none).

    Fields are request paths such as ``record.emails[1].address``; for a batch item, paths are
    relative to the item.
    """
    # grpc.Call (blocking stubs) and grpc.aio.AioRpcError both carry trailing_metadata().
    status = _status(error)
    out: list[tuple[str, str]] = []
    for detail in status.details if status is not None else ():
        bad = error_details_pb2.BadRequest()
        if detail.Unpack(bad):
            out.extend((v.field, v.description) for v in bad.field_violations)
    return out


def code_of(status: status_pb2.Status) -> grpc.StatusCode:
    """The gRPC status code of a ``google.rpc.Status`` (``UNKNOWN`` for a number gRPC does not define)."""
    return _CODES.get(status.code, grpc.StatusCode.UNKNOWN)


class StatusError(grpc.RpcError):
    """A ``google.rpc.Status`` (a refused batch item) as the exception its own call would have raised:
    ``code()``, ``details()`` and ``trailing_metadata()`` answer as a refused call's do, so code that
    handles a refused call (:func:`error_info`, :func:`field_violations`, a retry policy) handles the
    item alike."""

    def __init__(self, status: status_pb2.Status) -> None:
        super().__init__(f"{code_of(status).name}: {status.message}")
        self.status = status

    def code(self) -> grpc.StatusCode:
        return code_of(self.status)

    def details(self) -> str:
        return self.status.message

    def trailing_metadata(self) -> tuple[tuple[str, Any], ...]:
        return ((STATUS_DETAILS_KEY, self.status.SerializeToString()),)

    def initial_metadata(self) -> tuple[tuple[str, Any], ...]:
        return ()


def rpc_error(status: status_pb2.Status) -> StatusError:
    """A refused batch item's status as the exception a call refused the same way raises, e.g.
    ``raise rpc_error(result.error)``."""
    return StatusError(status)


def status(
    code: grpc.StatusCode,
    message: str,
    violations: list[tuple[str, str]],
    reason: str = "",
    metadata: dict[str, str] | None = None,
) -> status_pb2.Status:
    """A google.rpc.Status with a BadRequest (when fields are at fault) and an ErrorInfo (when there is
    a reason): what a refused call carries under ``STATUS_DETAILS_KEY``, and a refused batch item
    carries as it is (server side)."""
    built = status_pb2.Status(code=code.value[0], message=message)
    if violations:
        detail = any_pb2.Any()
        detail.Pack(
            error_details_pb2.BadRequest(
                field_violations=[
                    error_details_pb2.BadRequest.FieldViolation(field=f, description=d) for f, d in violations
                ]
            )
        )
        built.details.append(detail)
    if reason:
        info = any_pb2.Any()
        info.Pack(error_details_pb2.ErrorInfo(reason=reason, domain=DOMAIN, metadata=metadata or {}))
        built.details.append(info)
    return built
