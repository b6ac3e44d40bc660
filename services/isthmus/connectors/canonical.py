"""The canonical record schemas every connector's output must satisfy (``schemas/<stream>.json``)."""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

import jsonschema

from isthmus.connectors.sdk import CANONICAL_STREAMS


@cache
def schema(stream: str) -> dict[str, Any]:
    if stream not in CANONICAL_STREAMS:
        raise KeyError(f"no canonical schema for stream {stream!r}")
    text = resources.files("isthmus.connectors").joinpath("schemas", f"{stream}.json").read_text()
    data: dict[str, Any] = json.loads(text)
    return data


_FORMATS = jsonschema.FormatChecker(formats=())


@_FORMATS.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    # RFC 3339 needs an offset; without one the hub could not order records from different zones.
    if not isinstance(value, str):
        return True
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("needs a UTC offset")
    return True


@cache
def _validator(stream: str) -> jsonschema.protocols.Validator:
    checker = _FORMATS
    return jsonschema.Draft202012Validator(schema(stream), format_checker=checker)


def problems(stream: str, record: Any) -> list[str]:
    """Why ``record`` is not a valid canonical record of ``stream`` (empty when it is)."""
    out = []
    for error in _validator(stream).iter_errors(record):
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
        out.append(f"{where.lstrip('.') or 'record'}: {error.message}")
    return sorted(out)
