"""The connector: complete drops only, in name order, each file remembered by its digest.

An instance names, per canonical stream, which files of its inbox hold it (a glob), how they are
written (CSV or JSON Lines, the delimiter, the encoding) and its field mapping (mapping.py). A file is
complete once its ``<file>.done`` marker exists, unless the stream sets ``done_marker`` false (a
source that moves finished files in); which files are new is ``isthmus.connectors.drops``' business.

What goes where when a file is not as expected:
- a line that is not a row (a CSV line of the wrong width, a JSON line that is not an object) and a
  record missing a required value (an order's time that is not a time in the configured format):
  a dead letter naming the file, the line and the field, and the file goes on;
- an optional value that does not convert: the record goes on without it, the raw value kept in the
  record's ``attributes`` as ``unreadable:<field>`` (customers and orders; streams without attributes
  dead-letter the record, naming the field);
- a file that is not in its encoding: one dead letter for the file, naming the last line read (the
  rows before are delivered, unless the stream is grouped: a group could be cut short);
- a CSV header without a mapped column: the sync fails, naming the columns and the file, and the file
  is read again once the mapping or the export is mended (a layout is the configuration's business:
  reading it as bad data would dead-letter every row).
"""

from __future__ import annotations

import codecs
import csv
import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from isthmus.connectors import (
    BadRecord,
    Checkpoint,
    CheckResult,
    ConfigInvalid,
    Connector,
    Message,
    Stream,
    StreamState,
    drops,
)
from isthmus.connectors.canonical import schema as canonical_schema
from isthmus.connectors.sdk import CANONICAL_STREAMS
from isthmus_connector_files.mapping import Plan, cell_text, compile_fields

_PRIMARY_KEYS = {
    "customers": "source_id",
    "orders": "external_order_id",
    "service_requests": "external_id",
    "interactions": "external_id",
    "carts": "external_cart_id",
    "stock": "sku",
}
_STREAM = {
    "type": "object",
    "required": ["files", "fields"],
    "additionalProperties": False,
    "properties": {
        "files": {"type": "string", "minLength": 1, "description": "A glob in the inbox: orders_*.csv"},
        "format": {
            "enum": ["csv", "jsonl", "fixed"],
            "description": "csv (the default), jsonl (an object a line) or fixed (columns at set places)",
        },
        "columns": {
            "type": "object",
            "minProperties": 1,
            "description": "fixed only: column -> {start (the first character is 1), length}",
            "additionalProperties": {
                "type": "object",
                "required": ["start", "length"],
                "additionalProperties": False,
                "properties": {
                    "start": {"type": "integer", "minimum": 1},
                    "length": {"type": "integer", "minimum": 1},
                },
            },
        },
        "skip_lines": {
            "type": "integer",
            "minimum": 0,
            "description": "Lines before the header (CSV) or the first record: a report's title, say",
        },
        "delimiter": {"type": "string", "minLength": 1, "maxLength": 1, "description": "CSV only; default ,"},
        "encoding": {"type": "string", "description": "Default utf-8 (a byte-order mark is dropped)"},
        "done_marker": {"type": "boolean", "description": "Wait for <file>.done (default true)"},
        "group_by": {
            "type": "string",
            "minLength": 1,
            "description": "Rows with the same value make one record",
        },
        "only": {
            "type": "object",
            "description": "Column -> the values a row must hold there to be read; other rows are skipped",
            "additionalProperties": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        },
        "fields": {"type": "object", "minProperties": 1, "description": "Canonical field -> source"},
    },
}


class LayoutMismatch(Exception):
    """A file's columns are not those the mapping names: the configuration or the export must change."""


class FilesConnector(Connector):
    name = "files"
    config_schema = {
        "type": "object",
        "required": ["inbox", "source_system", "streams"],
        "additionalProperties": False,
        "properties": {
            "inbox": {"type": "string", "description": "Directory the source drops its files into"},
            "source_system": {"type": "string", "minLength": 1, "description": "The system the hub knows"},
            "timezone": {"type": "string", "default": "UTC", "description": "Of times without an offset"},
            "streams": {
                "type": "object",
                "minProperties": 1,
                "propertyNames": {"enum": list(CANONICAL_STREAMS)},
                "additionalProperties": _STREAM,
            },
            "mask_fields": {"type": "array", "items": {"type": "string"}},
            "country_aliases": {"type": "object", "additionalProperties": {"type": "string"}},
        },
    }
    # Every canonical stream may come in files; an instance delivers those its config maps.
    streams = tuple(
        Stream(name, primary_key=_PRIMARY_KEYS[name], incremental=True) for name in CANONICAL_STREAMS
    )

    @classmethod
    def configured_streams(cls, config: Mapping[str, Any]) -> tuple[str, ...]:
        mapped = config.get("streams")
        return tuple(s for s in CANONICAL_STREAMS if isinstance(mapped, dict) and s in mapped)

    def __init__(self, config: Mapping[str, Any]) -> None:
        super().__init__(config)
        try:
            self.tz = ZoneInfo(self.config["timezone"])
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigInvalid("timezone", "is not a time zone (e.g. Europe/Berlin)") from None
        self.plans: dict[str, Plan] = {}
        for stream, spec in self.config["streams"].items():
            where = f"streams.{stream}"
            try:
                codecs.lookup(spec.get("encoding", "utf-8"))
            except LookupError:
                raise ConfigInvalid(f"{where}.encoding", "is not an encoding Python knows") from None
            self.plans[stream] = Plan(stream, compile_fields(stream, spec["fields"], f"{where}.fields"))
            fixed = spec.get("format", "csv") == "fixed"
            if fixed != ("columns" in spec):
                raise ConfigInvalid(
                    f"{where}.columns", "is for fixed-width files, and every such file needs it"
                )
            if fixed:
                # A fixed-width file has no header to check: its columns are checked here.
                named = set(spec["columns"]) | set(spec.get("only") or ()) | {spec.get("group_by") or ""}
                for f in self.plans[stream].fields:
                    for column in f.columns:
                        if column not in named:
                            raise ConfigInvalid(
                                f.where, f"names column {column!r}, which columns does not place"
                            )

    # -- check --------------------------------------------------------------------------------------

    def check(self) -> CheckResult:
        inbox = Path(self.config["inbox"])
        if not inbox.is_dir():
            return CheckResult.failure(f"the inbox {inbox} is not a directory")
        for stream, spec in self.config["streams"].items():
            files = self._complete(stream)
            if not files or spec.get("format", "csv") != "csv":
                continue
            try:
                with self._open(stream, files[-1]) as text:
                    self._csv_rows(stream, files[-1].name, text)
            except LayoutMismatch as exc:
                return CheckResult.failure(f"{stream}: {exc}")
            except (UnicodeDecodeError, OSError) as exc:
                return CheckResult.failure(f"{stream}: {files[-1].name}: {exc}")
        return CheckResult.success()

    # -- read ---------------------------------------------------------------------------------------

    def _complete(self, stream: str) -> list[Path]:
        spec = self.config["streams"][stream]
        return drops.complete(Path(self.config["inbox"]), spec["files"], marker=spec.get("done_marker", True))

    def _encoding(self, stream: str) -> str:
        return str(self.config["streams"][stream].get("encoding", "utf-8"))

    def _open(self, stream: str, path: Path) -> TextIO:
        """The file as text, read as it is iterated (a large export is never held whole)."""
        encoding = self._encoding(stream)
        if codecs.lookup(encoding).name == "utf-8":
            encoding = "utf-8-sig"  # a byte-order mark, if any, is not part of the first column's name
        return path.open(encoding=encoding, newline="")

    def read(self, stream: str, state: StreamState) -> Iterator[Message]:
        spec = self.config["streams"][stream]
        inbox, marker = Path(self.config["inbox"]), spec.get("done_marker", True)
        for path, after in drops.unread(inbox, spec["files"], state, marker=marker):
            if path is not None:
                yield from self._file(stream, path)
            yield Checkpoint(after)

    def estimate(self, stream: str, state: StreamState) -> int | None:
        """The lines of the files changed since they were read (less a CSV file's header): a sync's
        progress total, rough where a file was dropped again unchanged. A grouped or filtered
        (``only``) stream's records are fewer than its lines, so it says None."""
        spec = self.config["streams"][stream]
        if spec.get("group_by") or spec.get("only"):
            return None
        header = int(spec.get("skip_lines", 0)) + (1 if spec.get("format", "csv") == "csv" else 0)
        inbox, marker = Path(self.config["inbox"]), spec.get("done_marker", True)
        total = 0
        for path in drops.touched(inbox, spec["files"], state, marker=marker):  # no file hashed twice
            with path.open("rb") as f:
                total += sum(block.count(b"\n") for block in iter(lambda: f.read(1 << 20), b"")) - header
        return total

    def _rows(self, stream: str, file: str, text: TextIO) -> Iterator[tuple[int, Any, str]]:
        spec = self.config["streams"][stream]
        skip = int(spec.get("skip_lines", 0))
        for _ in range(skip):
            text.readline()
        form = spec.get("format", "csv")
        if form == "csv":
            return self._csv_rows(stream, file, text, skip)
        if form == "fixed":
            return _fixed_rows(text, spec["columns"], skip)
        return _json_rows(file, text, skip)

    def _file(self, stream: str, path: Path) -> Iterator[Message]:
        """The file's records and dead letters, its rows read as they are needed. A grouped stream's
        file is read once first, to learn whether each group's rows stand together (an export sorted
        by order): then each group is a record as soon as its last row is read; else every group is
        held until the file's end."""
        spec = self.config["streams"][stream]
        file, group = path.name, spec.get("group_by")
        only = {column: set(values) for column, values in (spec.get("only") or {}).items()}
        line = 0
        held: dict[str, list[tuple[int, dict[str, Any], str]]] = {}
        try:
            together = group is not None and self._together(stream, path, group)
            with self._open(stream, path) as text:
                for line, row, raw in self._rows(stream, file, text):
                    if isinstance(row, BadRecord):
                        yield row
                    elif only and any(cell_text(row.get(c)) not in vs for c, vs in only.items()):
                        continue  # a row this stream does not take (another stream of the file may)
                    elif not group:
                        yield self._record(stream, f"{file}:{line}", [row], raw)
                    elif not (key := cell_text(row.get(group))):
                        where = f"{file}:{line}"
                        yield BadRecord(
                            f"{where}: no {group}, the column rows are grouped by", raw, key=where
                        )
                    else:
                        if together and key not in held:
                            for members in held.values():  # the group before is complete
                                yield self._group(stream, file, members)
                            held.clear()
                        held.setdefault(key, []).append((line, row, raw))
        except UnicodeDecodeError:
            after = f" after line {line}" if line else ""
            what = "the file was" if group or not line else "the lines after it were"
            reason = f"{file}: not {self._encoding(stream)}{after}; {what} not read"
            yield BadRecord(reason, "", key=file)
            return
        for members in held.values():
            yield self._group(stream, file, members)

    def _together(self, stream: str, path: Path, group: str) -> bool:
        """Whether each group's rows stand together in the file (read through once, keys only). A file
        not in its encoding raises here, before any of its records is made."""
        done: set[str] = set()
        last = ""
        with self._open(stream, path) as text:
            for _, row, _ in self._rows(stream, path.name, text):
                key = "" if isinstance(row, BadRecord) else cell_text(row.get(group))
                if not key or key == last:
                    continue
                if key in done:
                    return False
                done.add(last)
                last = key
        return True

    def _group(self, stream: str, file: str, members: list[tuple[int, dict[str, Any], str]]) -> Message:
        where = f"{file}:{members[0][0]}"
        return self._record(stream, where, [m[1] for m in members], "\n".join(m[2] for m in members))

    def _record(self, stream: str, where: str, rows: Sequence[dict[str, Any]], raw: str) -> Message:
        record, problems = self.plans[stream].build(rows, self.tz)
        if not problems:
            return record
        keeps_raw = "attributes" in canonical_schema(stream)["properties"]
        refused = [p for p in problems if p.field.required or not keeps_raw]
        if refused:
            return BadRecord(f"{where}: " + "; ".join(map(str, refused)), raw, key=where)
        attributes = record.setdefault("attributes", {})
        for p in problems:
            attributes[f"unreadable:{p.field.target}"] = p.raw
        return record

    def _csv_rows(
        self, stream: str, file: str, text: TextIO, skip: int = 0
    ) -> Iterator[tuple[int, Any, str]]:
        """(line, row as a dict or a BadRecord, the raw line) for each row; a header without the
        mapped columns raises ``LayoutMismatch`` before any row."""
        spec = self.config["streams"][stream]
        delimiter = spec.get("delimiter", ",")
        reader = csv.reader(text, delimiter=delimiter)
        header = [h.strip() for h in next(reader, [])]
        wanted = {c for f in self.plans[stream].fields for c in f.columns} | set(spec.get("only") or ())
        if spec.get("group_by"):
            wanted.add(spec["group_by"])
        missing = sorted(wanted - set(header))
        if missing:
            columns = ", ".join(header) or "empty"
            raise LayoutMismatch(
                f"{file}: no column {', '.join(map(repr, missing))} in its header ({columns})"
            )
        return self._csv_body(reader, header, file, delimiter, skip)

    @staticmethod
    def _csv_body(
        reader: Any, header: list[str], file: str, delimiter: str, skip: int
    ) -> Iterator[tuple[int, Any, str]]:
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                where = f"{file}:{reader.line_num + skip}"
                yield reader.line_num + skip, BadRecord(f"{where}: {exc}", "", key=where), ""
                continue
            line, raw = reader.line_num + skip, delimiter.join(row)
            if not any(cell.strip() for cell in row):
                continue  # a blank line
            if len(row) != len(header):
                where = f"{file}:{line}"
                reason = f"{where}: {len(row)} fields, expected {len(header)}"
                yield line, BadRecord(reason, raw, key=where), raw
                continue
            yield line, dict(zip(header, row, strict=True)), raw


def _fixed_rows(text: TextIO, columns: Mapping[str, Any], skip: int) -> Iterator[tuple[int, Any, str]]:
    """Each line's columns cut at their places. A line shorter than a column's end (a legacy export
    trims trailing blanks) leaves the rest of it empty."""
    places = [(name, c["start"] - 1, c["start"] - 1 + c["length"]) for name, c in columns.items()]
    for line, raw in enumerate((r.rstrip("\r\n") for r in text), skip + 1):
        if raw.strip():
            yield line, {name: raw[start:end] for name, start, end in places}, raw


def _json_rows(file: str, text: TextIO, skip: int = 0) -> Iterator[tuple[int, Any, str]]:
    for line, raw in enumerate((r.rstrip("\r\n") for r in text), skip + 1):
        if not raw.strip():
            continue
        where = f"{file}:{line}"
        try:
            obj = json.loads(raw)
        except (ValueError, RecursionError) as exc:
            yield line, BadRecord(f"{where}: not JSON ({exc})", raw, key=where), raw
            continue
        if not isinstance(obj, dict):
            yield line, BadRecord(f"{where}: a JSON {type(obj).__name__}, not an object", raw, key=where), raw
            continue
        yield line, _Flat(obj), raw


class _Flat(dict[str, Any]):
    """A JSON object whose columns may be paths into it ("customer.id")."""

    def get(self, key: str, default: Any = None) -> Any:
        if key in self:
            return self[key]
        node: Any = self
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        return node
