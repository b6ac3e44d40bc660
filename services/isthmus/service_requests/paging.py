"""Opaque keyset page tokens, bound to the filters they were issued for."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime

from isthmus.platform.errors import InvalidArgument


def fingerprint(filters: object) -> str:
    return hashlib.sha256(repr(filters).encode()).hexdigest()[:16]


def encode(at: datetime, last_id: str, filters: object) -> str:
    raw = json.dumps({"t": at.isoformat(), "i": last_id, "f": fingerprint(filters)}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(token: str, filters: object, *, field: str = "page_token") -> tuple[datetime, str] | None:
    if not token:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        at, last_id, fp = datetime.fromisoformat(data["t"]), str(data["i"]), data["f"]
    except (ValueError, KeyError, TypeError):
        raise InvalidArgument(field, "is not a token this service issued") from None
    if fp != fingerprint(filters):
        raise InvalidArgument(field, "was issued for different filters: start again without a token")
    return at, last_id


def page_size(value: int, *, default: int, maximum: int, field: str = "page_size") -> int:
    if value < 0:
        raise InvalidArgument(field, "must not be negative")
    return min(value or default, maximum)
