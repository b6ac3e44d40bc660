"""The canonical record schemas every connector's output must satisfy (``schemas/<stream>.json``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

import fastjsonschema
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


def _has_offset(value: str) -> bool:
    # RFC 3339 needs an offset; without one the hub could not order records from different zones.
    try:
        return datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False


@_FORMATS.checks("date-time")
def _date_time(value: object) -> bool:
    return not isinstance(value, str) or _has_offset(value)


@cache
def _validator(stream: str) -> jsonschema.protocols.Validator:
    checker = _FORMATS
    return jsonschema.Draft202012Validator(schema(stream), format_checker=checker)


# What both validators read alike (the property test holds them to it). A keyword the compiled
# check does not know it ignores, which would make it laxer: a schema with any other keyword, or
# another format, is validated by the full validator alone.
_SHARED_KEYWORDS = frozenset(
    {
        "$schema", "title", "description", "$defs", "$ref", "type", "properties", "required",
        "additionalProperties", "items", "enum", "pattern", "format", "minLength", "maxLength",
        "minItems", "maxItems", "minimum", "maximum",
    }
)  # fmt: skip
_SHARED_FORMATS = frozenset({"date-time"})


def _subschemas(node: dict[str, Any]) -> list[dict[str, Any]]:
    found = [*node.get("properties", {}).values(), *node.get("$defs", {}).values()]
    found += [node[k] for k in ("items", "additionalProperties") if isinstance(node.get(k), dict)]
    return found


def compilable(node: dict[str, Any]) -> bool:
    """Whether the compiled check reads this schema as the full validator does."""
    if not node.keys() <= _SHARED_KEYWORDS or node.get("format", "date-time") not in _SHARED_FORMATS:
        return False
    return all(compilable(sub) for sub in _subschemas(node))


@cache
def _check(stream: str) -> Callable[[Any], Any] | None:
    """The schema compiled to Python code (fastjsonschema, decision 66): about a tenth of the full
    validator's cost on a valid record, but it stops at the first error and words it its own way."""
    definition = schema(stream)
    if not compilable(definition):
        return None
    return fastjsonschema.compile(
        definition,
        formats={"date-time": _has_offset},  # the same check as the full validator's
        use_default=False,  # never fill defaults into the connector's record
        detailed_exceptions=False,
    )


def problems(stream: str, record: Any) -> list[str]:
    """Why ``record`` is not a valid canonical record of ``stream`` (empty when it is).

    Every record passes the compiled check first; only one it does not pass is validated in full,
    for every problem it has, in jsonschema's words. The compiled check is the stricter of the two
    where they differ (a pattern's ``$`` before a final newline), never the laxer
    (tests/unit/connectors/test_canonical.py compares them on generated records)."""
    check = _check(stream)
    if check is not None:
        try:
            check(record)
        except Exception:  # invalid, or a value it cannot judge: the full validator says why
            pass
        else:
            return []
    return full_problems(stream, record)


def full_problems(stream: str, record: Any) -> list[str]:
    """:func:`problems` by the full validator alone: every problem, sorted."""
    out = []
    for error in _validator(stream).iter_errors(record):
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
        out.append(f"{where.lstrip('.') or 'record'}: {error.message}")
    return sorted(out)
