"""Page sizes and opaque page tokens (AIP-158), the same for every list RPC.

A token is base64url of a small JSON object: where the next page starts (a keyset position or an
offset) and a fingerprint of the request's filters, so a token is only good for the request that
earned it. A token is not a secret; it is read back as untrusted input, and anything that is not a
position this service issued is ``InvalidArgument`` on ``page_token``.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

import orjson
from google.protobuf.message import Message

from isthmus.kernel.errors import InvalidArgument

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
_INT64 = 2**63 - 1
_NOT_OURS = "is not a page token this service issued"

T = TypeVar("T")


def page_size(
    value: int, *, default: int = DEFAULT_PAGE_SIZE, maximum: int = MAX_PAGE_SIZE, field: str = "page_size"
) -> int:
    """The page size to use: 0 means ``default``; larger than ``maximum`` is capped; negative is refused."""
    if value < 0:
        raise InvalidArgument(field, "must not be negative")
    return min(value or default, maximum)


def _fingerprint(filters: object) -> str:
    return hashlib.sha256(repr(filters).encode()).hexdigest()[:16]


def filters_of(request: Message) -> bytes:
    """What a token is bound to: the request itself without its ``page_size`` and ``page_token``."""
    copy = type(request)()
    copy.CopyFrom(request)
    for name in ("page_size", "page_token"):
        if name in copy.DESCRIPTOR.fields_by_name:
            copy.ClearField(name)
    return copy.SerializeToString(deterministic=True)


def encode_token(position: dict[str, Any], filters: object = None) -> str:
    """The token for the page after ``position`` (JSON-able values) under ``filters``."""
    raw = orjson.dumps({"f": _fingerprint(filters), "p": position})
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def page_of(
    found: Sequence[T], size: int, position: Callable[[T], dict[str, Any]], filters: object = None
) -> tuple[list[T], str]:
    """A page of ``size`` from a keyset read of ``size + 1`` rows, and the token of the page after it
    (``position`` of the page's last item under ``filters``); "" when ``found`` held no more."""
    page = list(found[:size])
    if len(found) <= size or not page:
        return page, ""
    return page, encode_token(position(page[-1]), filters)


class Position:
    """A decoded token's position; each accessor refuses a value of the wrong shape."""

    def __init__(self, values: dict[str, Any], field: str) -> None:
        self._values = values
        self._field = field

    def _get(self, key: str) -> Any:
        if key not in self._values:
            raise InvalidArgument(self._field, _NOT_OURS)
        return self._values[key]

    def integer(self, key: str, *, minimum: int = 0) -> int:
        value = self._get(key)
        if type(value) is not int or not minimum <= value <= _INT64:
            raise InvalidArgument(self._field, _NOT_OURS)
        return value

    def number(self, key: str) -> float:
        value = self._get(key)
        if type(value) not in (int, float):  # JSON holds no NaN, and orjson refuses an infinity
            raise InvalidArgument(self._field, _NOT_OURS)
        return float(value)

    def text(self, key: str) -> str:
        value = self._get(key)
        if not isinstance(value, str) or "\x00" in value:  # no key this service issues holds a NUL
            raise InvalidArgument(self._field, _NOT_OURS)
        return value

    def instant(self, key: str) -> datetime:
        try:
            return datetime.fromisoformat(self.text(key))
        except ValueError:
            raise InvalidArgument(self._field, _NOT_OURS) from None


def decode_token(token: str, filters: object = None, *, field: str = "page_token") -> Position | None:
    """The position ``token`` names, or None for the first page (an empty token)."""
    if not token:
        return None
    try:
        data = orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, TypeError, UnicodeError):
        raise InvalidArgument(field, _NOT_OURS) from None
    if not isinstance(data, dict) or not isinstance(data.get("p"), dict) or "f" not in data:
        raise InvalidArgument(field, _NOT_OURS)
    if data["f"] != _fingerprint(filters):
        raise InvalidArgument(
            field, "was issued for a request with other filters: start again without a token"
        )
    return Position(data["p"], field)
