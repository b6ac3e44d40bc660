"""Domain errors, raised by any context, and their one mapping to gRPC status codes.

Domain code raises these and never imports grpc; the chassis (interceptors.py) turns them into a status
with a message and, where a field is at fault, ``google.rpc.BadRequest`` field violations.
"""

from __future__ import annotations

from typing import Self

import grpc

from isthmus_client import errors as reasons


class DomainError(Exception):
    """Base: a request the service understood and refused. Never a bug."""

    code: grpc.StatusCode = grpc.StatusCode.FAILED_PRECONDITION
    # The machine-readable cause (``google.rpc.ErrorInfo`` reason, one of ``isthmus_client.errors``)
    # and its details: each class has its general reason; ``because`` names a particular one, e.g.
    # UNKNOWN_SOURCE_SYSTEM with the setting that would admit the system.
    reason: str = reasons.PRECONDITION_FAILED

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.metadata: dict[str, str] = {}

    def because(self, reason: str, **metadata: str) -> Self:
        """This error with a particular ErrorInfo reason (one of ``isthmus_client.errors``)."""
        self.reason = reason
        self.metadata = dict(metadata)
        return self


class InvalidArgument(DomainError):
    """The caller sent bad values; each violation names its field (dotted path, e.g. ``record.emails[1]``)."""

    code = grpc.StatusCode.INVALID_ARGUMENT
    reason = reasons.FIELD_INVALID

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
    reason = reasons.NOT_FOUND


class AlreadyExists(DomainError):
    code = grpc.StatusCode.ALREADY_EXISTS
    reason = reasons.ALREADY_EXISTS


class FailedPrecondition(DomainError):
    """The request is valid but not in the object's current state (e.g. an illegal transition)."""

    code = grpc.StatusCode.FAILED_PRECONDITION
    reason = reasons.PRECONDITION_FAILED


class Conflict(DomainError):
    """A concurrent change won (stale expected version, lost race): the client may re-read and retry."""

    code = grpc.StatusCode.ABORTED
    reason = reasons.CONCURRENT_WRITE


class Unauthenticated(DomainError):
    code = grpc.StatusCode.UNAUTHENTICATED
    reason = reasons.UNAUTHENTICATED


class PermissionDenied(DomainError):
    code = grpc.StatusCode.PERMISSION_DENIED
    reason = reasons.PERMISSION_DENIED


class Unavailable(DomainError):
    """A dependency (database, broker) is down; retrying later is the right reaction."""

    code = grpc.StatusCode.UNAVAILABLE
    reason = reasons.UNAVAILABLE


class ResourceExhausted(DomainError):
    """A request over a limit of the service (its size, the calls in flight)."""

    code = grpc.StatusCode.RESOURCE_EXHAUSTED
    reason = reasons.RESOURCE_EXHAUSTED


def stale_version(what: str, current: int, expected: int) -> Conflict:
    """``expected_version`` is not the current one: the caller read an older state."""
    return Conflict(f"{what} is at version {current}, not {expected}; read it again").because(
        reasons.VERSION_STALE, current_version=str(current)
    )


def illegal_transition(message: str, state: str) -> FailedPrecondition:
    """The object's state does not allow the change."""
    return FailedPrecondition(message).because(reasons.ILLEGAL_TRANSITION, state=state)


def key_reused(message: str, field: str) -> AlreadyExists:
    """A retry key came back with a different request; ``field`` is the first that differs."""
    return AlreadyExists(message).because(reasons.KEY_REUSED, **({"field": field} if field else {}))
