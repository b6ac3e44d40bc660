"""Domain errors, raised by any context, and their one mapping to gRPC status codes.

Domain code raises these and never imports grpc; the chassis (interceptors.py) turns them into a status
with a message and, where a field is at fault, ``google.rpc.BadRequest`` field violations.
"""

from __future__ import annotations

from typing import Self

import grpc


class DomainError(Exception):
    """Base: a request the service understood and refused. Never a bug."""

    code: grpc.StatusCode = grpc.StatusCode.FAILED_PRECONDITION
    # A machine-readable cause (``google.rpc.ErrorInfo`` reason, UPPER_SNAKE_CASE) and its details,
    # for refusals a client must tell apart from bad data, e.g. UNKNOWN_SOURCE_SYSTEM with the setting
    # that would admit the system. Empty for most errors.
    reason: str = ""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.metadata: dict[str, str] = {}

    def because(self, reason: str, **metadata: str) -> Self:
        """This error with an ErrorInfo reason (one of ``isthmus_client.errors.REASONS``)."""
        self.reason = reason
        self.metadata = dict(metadata)
        return self


class InvalidArgument(DomainError):
    """The caller sent bad values; each violation names its field (dotted path, e.g. ``record.emails[1]``)."""

    code = grpc.StatusCode.INVALID_ARGUMENT

    def __init__(self, field: str, message: str, *more: tuple[str, str]) -> None:
        self.violations: list[tuple[str, str]] = [(field, message), *more]
        super().__init__("; ".join(f"{f}: {m}" for f, m in self.violations))

    @property
    def field(self) -> str:
        return self.violations[0][0]

    @classmethod
    def many(cls, violations: list[tuple[str, str]]) -> InvalidArgument:
        """All problems of one request at once, rather than one per retry."""
        return cls(*violations[0], *violations[1:])


class NotFound(DomainError):
    code = grpc.StatusCode.NOT_FOUND


class AlreadyExists(DomainError):
    code = grpc.StatusCode.ALREADY_EXISTS


class FailedPrecondition(DomainError):
    """The request is valid but not in the object's current state (e.g. an illegal transition)."""

    code = grpc.StatusCode.FAILED_PRECONDITION


class Conflict(DomainError):
    """A concurrent change won (stale expected version, lost race): the client may re-read and retry."""

    code = grpc.StatusCode.ABORTED


class Unauthenticated(DomainError):
    code = grpc.StatusCode.UNAUTHENTICATED


class PermissionDenied(DomainError):
    code = grpc.StatusCode.PERMISSION_DENIED


class Unavailable(DomainError):
    """A dependency (database, broker) is down; retrying later is the right reaction."""

    code = grpc.StatusCode.UNAVAILABLE
