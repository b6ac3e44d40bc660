"""A stream's field mapping: each canonical field (a path such as ``emails.0.address`` or
``lines.*.quantity``) and where its value comes from (a column, several joined, or a constant).

The mapping is checked against the stream's canonical schema when the instance starts, so a typo in a
path, a type or an enum value stops the instance with the field named (a configuration error, never
mistaken for bad data). The value's type follows from the schema (a date-time, an integer, an amount,
a birth date), so most fields name only their column.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from isthmus.connectors import ConfigInvalid
from isthmus.connectors.canonical import schema as canonical_schema

TYPES = ("string", "integer", "decimal", "boolean", "date", "datetime")
_TRUE = frozenset({"1", "true", "yes", "y", "x"})
_FALSE = frozenset({"0", "false", "no", "n"})
_AMOUNT = re.compile(r"^-?\d+(\.\d+)?$")
_DATE = r"^\d{4}-\d{2}-\d{2}$"
# An amount whose thousands are grouped, by the decimal separator.
_GROUPED = {
    ".": re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$"),
    ",": re.compile(r"^-?\d{1,3}(\.\d{3})+(,\d+)?$"),
}
# One row's item of a list: with ``group_by``, every row of the group adds one (an order's lines).
EACH = "*"


class Unreadable(ValueError):
    """A value that does not convert to its field's type or values."""


@dataclass(frozen=True)
class Field:
    where: str  # the mapping's own path, for messages: "streams.orders.fields.lines.*.quantity"
    path: tuple[str, ...]
    columns: tuple[str, ...]  # none for a constant
    constant: Any
    join: str
    type: str
    format: str | None
    decimal_separator: str
    values: Mapping[str, Any] | None  # the source's value -> the canonical one
    default: str | None
    enum: tuple[Any, ...] | None
    required: bool  # the record is not canonical without it (every step of its path is required)
    # The positions in ``path`` that number a list's items, each with the fields its items require.
    items: Mapping[int, tuple[str, ...]]

    @property
    def target(self) -> str:
        return ".".join(self.path)

    def raw(self, row: Mapping[str, Any]) -> str:
        """The field's source text in ``row`` (columns joined, empty parts left out); "" when empty."""
        if len(self.columns) == 1:
            return cell_text(row.get(self.columns[0]))
        parts = [cell_text(row.get(c)) for c in self.columns]
        return self.join.join(p for p in parts if p)

    def value(self, row: Mapping[str, Any], tz: ZoneInfo) -> Any:
        """The canonical value, or None when the source has none; ``Unreadable`` says why not."""
        if not self.columns:
            return self.constant
        text = self.raw(row) or (self.default or "")
        if not text:
            return None
        if self.values is not None:
            if text not in self.values:
                raise Unreadable(
                    f"{text!r} is not one of the mapped values ({', '.join(map(repr, self.values))})"
                )
            mapped = self.values[text]
            if not isinstance(mapped, str):
                return mapped
            text = mapped
        value = _convert(self, text, tz)
        if self.enum is not None and value not in self.enum:
            lowered = value.lower() if isinstance(value, str) else value
            if lowered not in self.enum:
                raise Unreadable(f"{text!r} is not one of {', '.join(map(str, self.enum))}")
            value = lowered
        return value


def cell_text(value: Any) -> str:
    """A cell's text as the mapping reads it (a JSON value written as JSON would), stripped."""
    if type(value) is str:  # a CSV cell, always
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value).strip()


def _convert(f: Field, text: str, tz: ZoneInfo) -> Any:
    kind = f.type
    if kind == "string":
        return text
    if kind == "integer":
        try:
            return int(text)
        except ValueError:
            raise Unreadable(f"{text!r} is not a whole number") from None
    if kind == "decimal":
        number = text.replace(" ", "")
        point, grouping = f.decimal_separator, "," if f.decimal_separator == "." else "."
        if grouping in number:
            # Only as thousands are grouped ("1.234,50"): "12,5" with a "." separator is not 125.
            if not _GROUPED[point].match(number):
                raise Unreadable(f"{text!r} is not an amount with {point!r} before its decimals")
            number = number.replace(grouping, "")
        number = number.replace(point, ".")
        try:
            amount = Decimal(number)
        except InvalidOperation:
            raise Unreadable(f"{text!r} is not an amount") from None
        out = format(amount, "f")
        if not _AMOUNT.match(out):
            raise Unreadable(f"{text!r} is not an amount")
        return out
    if kind == "boolean":
        low = text.lower()
        if low in _TRUE or low in _FALSE:
            return low in _TRUE
        raise Unreadable(f"{text!r} is not yes or no")
    return _time(text, f.format, kind == "date", tz)


@functools.lru_cache(maxsize=8192)
def _time(text: str, fmt: str | None, day: bool, tz: ZoneInfo) -> str:
    """A date or a time in ISO 8601, a naive time taken in ``tz``; cached, as exports repeat their
    dates (parsing one is some 10 us)."""
    try:
        if day:
            return (datetime.strptime(text, fmt).date() if fmt else date.fromisoformat(text)).isoformat()
        moment = datetime.strptime(text, fmt) if fmt else datetime.fromisoformat(text)
    except ValueError:
        raise Unreadable(f"{text!r} is not a {'date' if day else 'time'} as {fmt or 'ISO 8601'}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment.isoformat()


def compile_fields(stream: str, fields: Mapping[str, Any], where: str) -> list[Field]:
    """The stream's mapping, checked against its canonical schema; ``ConfigInvalid`` names the field."""
    schema = canonical_schema(stream)
    out = []
    for target, source in fields.items():
        at = f"{where}.{target}"
        path = tuple(target.split("."))
        node, required, items = _walk(schema, path, at)
        out.append(_field(at, path, node, required, items, source))
    for name in schema.get("required") or ():
        if not any(f.path[0] == name for f in out):
            raise ConfigInvalid(f"{where}.{name}", f"is required: every {stream} record needs it")
    return out


def _resolve(schema: Mapping[str, Any], node: Mapping[str, Any]) -> Mapping[str, Any]:
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        return _resolve(schema, schema["$defs"][ref.removeprefix("#/$defs/")])
    return node


def _walk(
    schema: Mapping[str, Any], path: Sequence[str], at: str
) -> tuple[Mapping[str, Any], bool, dict[int, tuple[str, ...]]]:
    """The schema of the field at ``path``, whether every step to it is required, and the steps that
    number a list's items, each with what its items require."""
    node: Mapping[str, Any] = schema
    required = True
    items: dict[int, tuple[str, ...]] = {}
    for i, step in enumerate(path):
        node = _resolve(schema, node)
        if node.get("type") == "array":
            if step != EACH and not step.isdigit():
                raise ConfigInvalid(at, f"{'.'.join(path[:i])} is a list: give an item number or {EACH!r}")
            required = required and int(node.get("minItems", 0)) > 0 and step in (EACH, "0")
            node = _resolve(schema, node["items"])
            items[i] = tuple(node.get("required") or ())
            continue
        properties = node.get("properties")
        if properties is None:
            extra = node.get("additionalProperties")
            if isinstance(extra, dict) and i == len(path) - 1:
                return _resolve(schema, extra), False, items  # a free key ("attributes")
            raise ConfigInvalid(at, f"{'.'.join(path[:i]) or 'the record'} has no field {step!r}")
        if step not in properties:
            known = ", ".join(sorted(properties))
            raise ConfigInvalid(at, f"{'.'.join(path[:i]) or 'the record'} has no field {step!r} ({known})")
        required = required and step in (node.get("required") or ())
        node = properties[step]
    node = _resolve(schema, node)
    if node.get("type") in ("array", "object"):
        raise ConfigInvalid(at, "names a list or an object: map each of its fields")
    return node, required, items


def _type_of(node: Mapping[str, Any]) -> str:
    kind = node.get("type")
    if kind == "integer":
        return "integer"
    if kind == "boolean":
        return "boolean"
    if node.get("format") == "date-time":
        return "datetime"
    if node.get("pattern") == _DATE:
        return "date"
    if node.get("pattern") == _AMOUNT.pattern:
        return "decimal"
    return "string"


def _field(
    at: str,
    path: tuple[str, ...],
    node: Mapping[str, Any],
    required: bool,
    items: Mapping[int, tuple[str, ...]],
    source: Any,
) -> Field:
    if isinstance(source, str):
        source = {"column": source}
    if not isinstance(source, dict):
        raise ConfigInvalid(at, "expected a column name or an object with a column, columns or value")
    unknown = set(source) - {"column", "columns", "join", "value", "format", "decimal_separator", "values",
                             "default", "type"}  # fmt: skip
    if unknown:
        raise ConfigInvalid(f"{at}.{sorted(unknown)[0]}", "is not a setting of a field")
    given = [k for k in ("column", "columns", "value") if k in source]
    if len(given) != 1:
        raise ConfigInvalid(at, "needs exactly one of column, columns or value")
    columns: tuple[str, ...] = ()
    if "column" in source:
        columns = (str(source["column"]),)
    elif "columns" in source:
        if not isinstance(source["columns"], list) or not source["columns"]:
            raise ConfigInvalid(f"{at}.columns", "expected a list of column names")
        columns = tuple(str(c) for c in source["columns"])
    natural = _type_of(node)
    kind = str(source.get("type") or natural)
    if kind not in TYPES:
        raise ConfigInvalid(f"{at}.type", f"expected one of {', '.join(TYPES)}")
    # Another type only where its value is still the field's: a text field may take a date, a time or
    # an amount written canonically; anything else would fail every record's schema check.
    if kind != natural and not (natural == "string" and kind in ("date", "datetime", "decimal")):
        raise ConfigInvalid(f"{at}.type", f"the field is a {natural}, not a {kind}")
    separator = str(source.get("decimal_separator", "."))
    if separator not in (".", ","):
        raise ConfigInvalid(f"{at}.decimal_separator", 'expected "." or ","')
    fmt = source.get("format")
    if fmt is not None and (kind not in ("date", "datetime") or not isinstance(fmt, str) or "%" not in fmt):
        raise ConfigInvalid(f"{at}.format", "is for dates and times: a strptime format such as %d.%m.%Y")
    values = source.get("values")
    if values is not None and not isinstance(values, dict):
        raise ConfigInvalid(f"{at}.values", "expected an object: the source's value -> the canonical one")
    enum = tuple(node["enum"]) if "enum" in node else None
    if enum is not None:
        for v in [*(values or {}).values(), *([source["value"]] if "value" in source else [])]:
            if v is not None and v not in enum:  # null: the field left out
                raise ConfigInvalid(at, f"{v!r} is not one of {', '.join(map(str, enum))}")
    f = Field(
        where=at, path=path, columns=columns, constant=source.get("value"), join=str(source.get("join", " ")),
        type=kind, format=fmt, decimal_separator=separator, values=values,
        default=None if source.get("default") is None else str(source["default"]), enum=enum,
        required=required, items=items,
    )  # fmt: skip
    if "value" in source:
        try:
            _convert(f, cell_text(source["value"]), ZoneInfo("UTC"))
        except Unreadable as exc:
            raise ConfigInvalid(f"{at}.value", str(exc)) from None
    return f


@dataclass(frozen=True)
class Problem:
    """A field a row's value could not fill: the row is kept without it (or refused when required)."""

    field: Field
    raw: str
    reason: str

    def __str__(self) -> str:
        return f"{self.field.target} (column {', '.join(self.field.columns)}): {self.reason}"


_Step = str | tuple[str, int]  # a field's name, or a list's item ("#", index)
_ITEM = "#"


class Plan:
    """A stream's fields, ready to make records: where each value goes, worked out once."""

    def __init__(self, stream: str, fields: Sequence[Field]) -> None:
        self.fields = list(fields)
        # Per field: its path with list items as ("#", n) (-1 for the row's number) and the lengths
        # of its prefixes that end at a list item (what "filled" remembers).
        self._paths: list[tuple[tuple[_Step, ...], tuple[int, ...], tuple[int, ...]]] = []
        # What a list's items need, by the list's path with its items written "#" (("emails", "#")).
        self._needs: dict[tuple[str, ...], tuple[str, ...]] = {}
        for f in self.fields:
            steps: list[_Step] = []
            shape: list[str] = []
            for i, step in enumerate(f.path):
                if i in f.items:
                    steps.append((_ITEM, -1 if step == EACH else int(step)))
                    shape.append(_ITEM)
                    self._needs[tuple(shape)] = f.items[i]
                else:
                    steps.append(step)
                    shape.append(step)
            each = tuple(i for i, step in enumerate(f.path) if step == EACH)
            ends = tuple(i + 1 for i in sorted(f.items))
            self._paths.append((tuple(steps), each, ends))

    def build(self, rows: Sequence[Mapping[str, Any]], tz: ZoneInfo) -> tuple[dict[str, Any], list[Problem]]:
        """One canonical record from ``rows`` (one, or a group sharing ``group_by``): the fields without
        ``*`` from the first row, one list item per row for those with it. A list item holding no
        value from the source (only constants), or without a field its items need (an e-mail's
        address), is left out. The problems are the fields left empty because their values did not
        convert; a required one among them means the record cannot be made."""
        record: dict[Any, Any] = {}
        problems: list[Problem] = []
        filled: set[tuple[_Step, ...]] = set()  # list items that hold a value from the source
        for n, row in enumerate(rows):
            for f, (steps, each, ends) in zip(self.fields, self._paths, strict=True):
                if n and not each:
                    continue
                try:
                    value = f.value(row, tz)
                except Unreadable as exc:
                    problems.append(Problem(f, f.raw(row), str(exc)))
                    continue
                if value is None:
                    continue
                path = steps
                if each:
                    path = tuple((_ITEM, n) if i in each else step for i, step in enumerate(steps))
                node = record
                for step in path[:-1]:
                    node = node.setdefault(step, {})
                node[path[-1]] = value
                if ends and f.columns:
                    filled.update(path[:end] for end in ends)
        return _prune(record, filled, (), (), self._needs), problems


def _prune(
    node: dict[Any, Any],
    filled: set[tuple[_Step, ...]],
    at: tuple[_Step, ...],
    shape: tuple[str, ...],
    needs_of: Mapping[tuple[str, ...], tuple[str, ...]],
) -> Any:
    """Lists (built as {("#", index): item}) in index order, without the items no source value filled
    or that lack what their items require; a list or an object left empty is left out."""
    if node and isinstance(next(iter(node)), tuple):
        shape = (*shape, _ITEM)
        needs = needs_of.get(shape, ())
        items: list[Any] = []
        for k in sorted(node):
            here = (*at, k)
            if here not in filled:
                continue
            value = node[k]
            if isinstance(value, dict):
                value = _prune(value, filled, here, shape, needs_of)
                if any(n not in value for n in needs):
                    continue
            items.append(value)
        return items
    out = {}
    for k, value in node.items():
        if isinstance(value, dict):
            value = _prune(value, filled, (*at, k), (*shape, k), needs_of)
            if not value:
                continue
        out[k] = value
    return out
