"""What a connector author writes against: the ``Connector`` base class and the messages it yields.

A connector is a class with a name, a JSON Schema for its configuration (secret fields carry
``"secret": true`` and are never logged), ``check()``, its streams, and ``read(stream, state)``, which
yields canonical records (plain dicts matching the stream's canonical schema), ``Checkpoint`` markers
and ``BadRecord`` reports. The runtime does the rest: state, retries, dead letters, metrics.

A source that pushes changes (a web shop's webhooks) reaches the connector through the component's
webhook endpoint: ``receive(push)`` authenticates each push and says what it holds (``Pushed``); the
runtime stores that durably before answering the source, brings the next sync forward, and hands
what was pushed to ``read`` in ``state.pushed``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import jsonschema

# The streams the hub understands; each has a canonical schema under ``schemas/``.
CUSTOMERS = "customers"
ORDERS = "orders"
SERVICE_REQUESTS = "service_requests"
INTERACTIONS = "interactions"
# Carts a shop considers abandoned: they trigger the value context's cart campaigns.
CARTS = "carts"
# Articles' stock as the source counts it (the order service keeps the stock of articles it is told
# about): synced before orders, so that the orders of a sync take the stock it counted.
STOCK = "stock"
CANONICAL_STREAMS = (CUSTOMERS, STOCK, ORDERS, SERVICE_REQUESTS, INTERACTIONS, CARTS)

Record = dict[str, Any]
RecordTransform = Callable[[Record], Record]

REDACTED = "***"


class ConfigInvalid(ValueError):
    """The configuration does not satisfy the connector's schema; the message names the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class TransientError(Exception):
    """The source is briefly unavailable (timeout, rate limit, lock): the runtime retries with back-off."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class InvalidRecord(Exception):
    """Raised by a record transform: this record goes to the dead-letter store with the reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Stream:
    """A stream a connector offers.

    ``cursor_field`` names the record field that only grows (a last-modified time, a sequence);
    with ``primary_key`` as the tie-breaker, records must be yielded in (cursor, key) order so that
    the runtime can checkpoint after any record. ``cursor_field=None`` means full refresh.
    """

    name: str
    primary_key: str
    cursor_field: str | None = None
    # A stream without a cursor field that still resumes (through Checkpoint markers) says so here.
    incremental: bool | None = None

    @property
    def is_incremental(self) -> bool:
        return self.incremental if self.incremental is not None else self.cursor_field is not None

    def __post_init__(self) -> None:
        if self.name not in CANONICAL_STREAMS:
            raise ValueError(f"stream {self.name!r} is not one of {', '.join(CANONICAL_STREAMS)}")


@dataclass(frozen=True)
class StreamState:
    """Where a stream's last accepted record stood: its cursor value and primary key (the tie-breaker).

    Both are strings so that any source's values fit; ``extra`` holds what else a connector needs
    (a page token, a set of processed file digests). The empty state means "from the beginning".
    """

    cursor: str | None = None
    tie_breaker: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    # What the source pushed for this stream since the last sync (``Pushed.payload``, oldest first),
    # for a connector that receives pushes: the runtime fills it before ``read``; never stored.
    pushed: tuple[Any, ...] = ()

    @property
    def is_empty(self) -> bool:
        return self.cursor is None and self.tie_breaker is None and not self.extra

    def to_json(self) -> dict[str, Any]:
        return {"cursor": self.cursor, "tie_breaker": self.tie_breaker, "extra": dict(self.extra)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> StreamState:
        if not data:
            return cls()
        return cls(data.get("cursor"), data.get("tie_breaker"), dict(data.get("extra") or {}))


@dataclass(frozen=True)
class Checkpoint:
    """Yielded by ``read``: every record before it may be considered done once the hub accepts them."""

    state: StreamState


@dataclass(frozen=True)
class BadRecord:
    """Yielded by ``read`` for input the connector cannot turn into a record (a malformed line)."""

    reason: str
    raw: Any
    key: str = ""


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    reason: str = ""

    @classmethod
    def success(cls) -> CheckResult:
        return cls(True)

    @classmethod
    def failure(cls, reason: str) -> CheckResult:
        return cls(False, reason)


@dataclass(frozen=True)
class GoldenChange:
    """A golden customer's new values, for writing back to a source that holds ``source_ids``."""

    customer_id: str
    source_ids: tuple[str, ...]
    changed_fields: tuple[str, ...]
    # Canonical customer record shape (name, emails, phones, addresses, ...) of the golden values.
    values: Record


@dataclass(frozen=True)
class Tracer:
    """A customer's parcel that did not arrive, for the carrier to trace (service_requests.TracerIssued):
    the case, its order, and how the parcel left."""

    service_request_id: str
    customer_id: str
    order_id: str
    carrier: str
    tracking_number: str
    shipped_at: str = ""  # RFC 3339, as the order service said
    warehouse: str = ""
    manifest_number: str = ""
    subject: str = ""
    description: str = ""


@dataclass(frozen=True)
class Push:
    """An HTTP POST a source sent to ``/webhooks/<instance>`` on the connectors component."""

    headers: Mapping[str, str]  # names lower-cased
    body: bytes


@dataclass(frozen=True)
class Pushed:
    """What ``receive`` found in a push: the stream it belongs to and the object as ``read`` will
    find it in ``state.pushed`` (anything JSON can hold). ``delivery_id`` is the source's id of the
    delivery, the same when it sends it again: the runtime keeps one of each ("" when the source
    names none)."""

    stream: str
    payload: Any
    delivery_id: str = ""


class PushRefused(Exception):
    """Raised by ``receive``: the source is answered with this HTTP status and reason (401 for a
    signature that does not verify, 400 for a body that is not what the source sends)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


Message = Record | Checkpoint | BadRecord


class Connector:
    """Base class of every connector. Subclass it, set the class attributes, implement ``check``/``read``."""

    name: ClassVar[str]
    # The source system name the hub knows this source by; defaults to ``name``.
    source_system: ClassVar[str | None] = None
    config_schema: ClassVar[dict[str, Any]] = {"type": "object"}
    streams: ClassVar[tuple[Stream, ...]] = ()

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config: dict[str, Any] = validate_config(type(self), config)

    @property
    def system(self) -> str:
        return str(self.config.get("source_system") or self.source_system or self.name)

    def check(self) -> CheckResult:
        """Can the source be reached with this configuration? Say why not in plain words."""
        raise NotImplementedError

    def read(self, stream: str, state: StreamState) -> Iterator[Message]:
        """Yield the stream's records after ``state``, in (cursor, primary key) order."""
        raise NotImplementedError

    def estimate(self, stream: str, state: StreamState) -> int | None:
        """How many records ``read(stream, state)`` will yield, if the source can tell cheaply.

        Optional: the runtime shows it as the total of the sync's progress, with a time estimate.
        None (the default) means unknown; a rough figure is fine.
        """
        return None

    # Write-back is optional: a connector that can push golden corrections to its source sets
    # ``supports_write`` and implements ``write``.
    supports_write: ClassVar[bool] = False

    def write(self, change: GoldenChange) -> None:
        raise NotImplementedError(f"connector {self.name!r} does not write back")

    # Filing tracers is optional: a connector for a carrier sets ``files_tracers`` and implements
    # ``file_tracer``.
    files_tracers: ClassVar[bool] = False

    def file_tracer(self, tracer: Tracer) -> str | None:
        """File a trace request with the carrier; the carrier's claim reference, or None when the parcel
        is not this carrier's (``tracer.carrier`` names another). Called again for a tracer filed
        before (a redelivered event): return the same reference, not a second claim."""
        raise NotImplementedError(f"connector {self.name!r} files no tracers")

    # Pushes are optional too: a connector whose source pushes changes sets ``receives_pushes`` and
    # implements ``receive``.
    receives_pushes: ClassVar[bool] = False

    def receive(self, push: Push) -> list[Pushed]:
        """Authenticate a push (a signature over ``push.body`` made with a secret of the config) and
        say what it holds; raise ``PushRefused`` to turn it away. It must not call the source: the
        source waits for the answer. What it returns reaches ``read`` at the next sync, which the
        runtime brings forward."""
        raise NotImplementedError(f"connector {self.name!r} receives no pushes")

    def close(self) -> None:
        """Release connections; called when the runtime is done with the instance."""

    @classmethod
    def configured_streams(cls, config: Mapping[str, Any]) -> tuple[str, ...]:
        """The streams an instance with this configuration delivers: every one the class declares,
        unless the connector lets its configuration choose (one configured, not written)."""
        return tuple(s.name for s in cls.streams)

    @classmethod
    def stream(cls, name: str) -> Stream:
        for s in cls.streams:
            if s.name == name:
                return s
        raise KeyError(f"connector {cls.name!r} has no stream {name!r}")


def validate_config(connector: type[Connector], config: Mapping[str, Any]) -> dict[str, Any]:
    """Apply defaults and validate; raises ConfigInvalid naming the first field at fault."""
    schema = connector.config_schema
    data = copy.deepcopy(dict(config))
    for key, prop in (schema.get("properties") or {}).items():
        if key not in data and isinstance(prop, dict) and "default" in prop:
            data[key] = copy.deepcopy(prop["default"])
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        where = ".".join(str(p) for p in first.absolute_path) or "config"
        if first.validator == "required":
            missing = first.message.split("'")[1] if "'" in first.message else ""
            raise ConfigInvalid(missing or where, "is required")
        # jsonschema's message repeats the value, which may be a secret: say only what was expected.
        raise ConfigInvalid(where, f"fails {first.validator!r} ({_expected(first)})")
    return data


def _expected(error: jsonschema.ValidationError) -> str:
    value = error.validator_value
    if error.validator in {"type", "enum", "minimum", "maximum", "pattern", "format", "minLength"}:
        return f"expected {error.validator} {value!r}"
    return "see the connector's config schema"


def secret_fields(schema: Mapping[str, Any]) -> set[str]:
    return {k for k, v in (schema.get("properties") or {}).items() if isinstance(v, dict) and v.get("secret")}


def redact(connector: type[Connector], config: Mapping[str, Any]) -> dict[str, Any]:
    """The configuration as it may be logged or shown: secret values replaced."""
    secrets = secret_fields(connector.config_schema)
    return {k: (REDACTED if k in secrets and v not in (None, "") else v) for k, v in config.items()}
