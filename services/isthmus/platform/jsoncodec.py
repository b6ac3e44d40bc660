"""JSON for stored values: ``orjson`` (compact UTF-8, several times faster than the standard
library), used wherever the services write or read JSON columns in bulk."""

from __future__ import annotations

from typing import Any

import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS


def dumps(value: Any) -> str:
    return orjson.dumps(value, option=_OPTIONS).decode()


def loads(text: str | bytes) -> Any:
    return orjson.loads(text)
