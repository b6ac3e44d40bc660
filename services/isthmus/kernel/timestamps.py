"""Instants, durations and calendar dates between Python and the API's messages.

One implementation for every context. Input conversions check the value first: a well-formed
``google.protobuf.Timestamp`` may still hold seconds outside 0001-9999 or nanos outside
0..999,999,999, which protobuf's own ``ToDatetime`` turns into a ``ValueError`` (an INTERNAL error
at the API). Here such a value is an ``InvalidArgument`` naming the field.

Naive datetimes are UTC: SQLite hands stored instants back without a zone.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp

from isthmus.kernel.errors import InvalidArgument
from isthmus_client.api.common.v1 import common_pb2

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# The range google.protobuf.Timestamp defines: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z.
MIN_SECONDS = -62_135_596_800
MAX_SECONDS = 253_402_300_799
# google.protobuf.Duration: +-10,000 years.
MAX_DURATION_SECONDS = 315_576_000_000
_NANOS = 1_000_000_000


_D = TypeVar("_D", bound=date)


def add_months(moment: _D, months: int) -> _D:
    """The same day ``months`` later (earlier when negative); the month's last day when it is shorter:
    31 January and one month is 28 (or 29) February."""
    month = moment.month - 1 + months
    year, month = moment.year + month // 12, month % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def aware(value: datetime) -> datetime:
    """``value`` with a zone: naive means UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def ts(value: datetime | None) -> Timestamp | None:
    """A datetime as a Timestamp (None stays None)."""
    if value is None:
        return None
    # Arithmetic on the aware datetime: several times cheaper than Timestamp.FromDatetime.
    delta = aware(value) - EPOCH
    return Timestamp(seconds=delta.days * 86400 + delta.seconds, nanos=delta.microseconds * 1000)


def valid_ts(stamp: Timestamp) -> str | None:
    """Why ``stamp`` is not an instant, or None when it is."""
    if not 0 <= stamp.nanos < _NANOS:
        return f"nanos {stamp.nanos} is outside 0..999999999"
    if not MIN_SECONDS <= stamp.seconds <= MAX_SECONDS:
        return f"seconds {stamp.seconds} is outside 0001-01-01..9999-12-31"
    return None


def from_ts(stamp: Timestamp, field: str = "") -> datetime:
    """A Timestamp as an aware UTC datetime (microseconds; the nanoseconds below are dropped).

    Raises ``InvalidArgument(field)`` for a Timestamp outside the range protobuf defines.
    """
    problem = valid_ts(stamp)
    if problem is not None:
        raise InvalidArgument(field or "timestamp", problem)
    return EPOCH + timedelta(seconds=stamp.seconds, microseconds=stamp.nanos // 1000)


def opt_ts(message: Any, name: str, field: str | None = None) -> datetime | None:
    """The Timestamp field ``name`` of ``message`` as a datetime, or None when it is not set."""
    return from_ts(getattr(message, name), field or name) if message.HasField(name) else None


def duration(value: timedelta | None) -> Duration | None:
    """A timedelta as a Duration (None stays None)."""
    if value is None:
        return None
    d = Duration()
    d.FromTimedelta(value)
    return d


def from_duration(value: Duration, field: str) -> timedelta:
    """A Duration as a timedelta; ``InvalidArgument(field)`` for one protobuf does not allow."""
    if not -MAX_DURATION_SECONDS <= value.seconds <= MAX_DURATION_SECONDS:
        raise InvalidArgument(field, f"seconds {value.seconds} is outside +-{MAX_DURATION_SECONDS}")
    if not -_NANOS < value.nanos < _NANOS or (
        value.seconds and value.nanos and (value.seconds > 0) != (value.nanos > 0)
    ):
        raise InvalidArgument(
            field, f"nanos {value.nanos} must be within +-999999999 and share the sign of seconds"
        )
    return timedelta(seconds=value.seconds, microseconds=value.nanos // 1000)


def opt_duration(message: Any, name: str, field: str | None = None) -> timedelta | None:
    """The Duration field ``name`` of ``message`` as a timedelta, or None when it is not set."""
    return from_duration(getattr(message, name), field or name) if message.HasField(name) else None


def from_date(value: common_pb2.Date, field: str) -> date:
    """``isthmus.common.v1.Date`` as a date; ``InvalidArgument(field)`` when it is not a calendar day."""
    try:
        return date(value.year, value.month, value.day)
    except (ValueError, OverflowError):
        raise InvalidArgument(
            field, f"{value.year:04d}-{value.month:02d}-{value.day:02d} is not a calendar date"
        ) from None


def opt_date(message: Any, name: str, field: str) -> date | None:
    """The Date field ``name`` of ``message`` as a date, or None when it is not set (or all zero: "no
    date", as the message says)."""
    if not message.HasField(name):
        return None
    value = getattr(message, name)
    if (value.year, value.month, value.day) == (0, 0, 0):
        return None
    return from_date(value, field)


def to_date(value: date | None) -> common_pb2.Date | None:
    return None if value is None else common_pb2.Date(year=value.year, month=value.month, day=value.day)
