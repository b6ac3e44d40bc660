"""The connector: picks up complete drops only, in name order (``isthmus.connectors.drops``).

The call center's export writes ``callers_<stamp>.csv`` and ``calls_<stamp>.csv`` and, when a file
is complete, an empty ``<file>.done`` marker. A file without its marker is still being written and is
left for the next run. A file dropped again with the same content is skipped; with new content it is
read again (every record carries the source's own ids, so the hub ignores what it already has).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from isthmus.connectors import (
    BadRecord,
    Checkpoint,
    CheckResult,
    Connector,
    Message,
    Stream,
    StreamState,
    drops,
)

CALLER_FIELDS = ["caller_id", "name", "phone", "email", "street", "zip", "city", "country", "updated"]
CALL_FIELDS = [
    "call_id",
    "caller_id",
    "agent",
    "started",
    "duration_s",
    "direction",
    "topic",
    "complaint",
    "notes",
]
# The call's complaint flag: "Y" a complaint still open, "R" one the call center resolved (the export
# carries the call again, flag changed, once it is resolved); "N" none.
COMPLAINT = ("Y", "R")


class CallCenterConnector(Connector):
    name = "callcenter"
    source_system = "callcenter"
    config_schema = {
        "type": "object",
        "required": ["inbox"],
        "additionalProperties": False,
        "properties": {
            "inbox": {"type": "string", "description": "Directory the call center drops its exports into"},
            "timezone": {
                "type": "string",
                "default": "Europe/Berlin",
                "description": "Of the files' local times",
            },
            "source_system": {"type": "string"},
            "mask_fields": {"type": "array", "items": {"type": "string"}},
        },
    }
    streams = (
        Stream("customers", primary_key="source_id", incremental=True),
        Stream("service_requests", primary_key="external_id", incremental=True),
        Stream("interactions", primary_key="external_id", incremental=True),
    )

    def check(self) -> CheckResult:
        inbox = Path(self.config["inbox"])
        if not inbox.is_dir():
            return CheckResult.failure(f"the inbox {inbox} is not a directory")
        try:
            ZoneInfo(self.config["timezone"])
        except (KeyError, ValueError):
            return CheckResult.failure(f"unknown timezone {self.config['timezone']!r}")
        return CheckResult.success()

    def _time(self, text: str) -> str:
        local = datetime.strptime(text.strip(), "%d.%m.%Y %H:%M")
        return local.replace(tzinfo=ZoneInfo(self.config["timezone"])).isoformat()

    def read(self, stream: str, state: StreamState) -> Iterator[Message]:
        prefix = "callers_" if stream == "customers" else "calls_"
        for path, after in drops.unread(Path(self.config["inbox"]), f"{prefix}*.csv", state):
            if path is not None:
                yield from self._rows(stream, path.name, path.read_bytes().decode("utf-8-sig"))
            yield Checkpoint(after)

    def _rows(self, stream: str, file: str, text: str) -> Iterator[Message]:
        fields = CALLER_FIELDS if stream == "customers" else CALL_FIELDS
        reader = csv.reader(io.StringIO(text), delimiter=";")
        header = next(reader, None)
        if header != fields:
            yield BadRecord(f"{file}: header {header} is not {fields}", text[:200], key=file)
            return
        for number, row in enumerate(reader, 2):
            where = f"{file}:{number}"
            if len(row) != len(fields):
                yield BadRecord(
                    f"{where}: {len(row)} fields, expected {len(fields)}", ";".join(row), key=where
                )
                continue
            data = dict(zip(fields, (v.strip() for v in row), strict=True))
            try:
                if stream == "customers":
                    yield self._caller(data)
                elif stream == "interactions":
                    yield self._interaction(data)
                elif data["complaint"].upper() in COMPLAINT:
                    yield self._complaint(data)
            except ValueError as exc:
                yield BadRecord(f"{where}: {exc}", ";".join(row), key=where)

    def _caller(self, d: dict[str, str]) -> dict[str, Any]:
        # The legacy system keeps one name field, "Family, Given" or "Given Family".
        family, _, given = d["name"].partition(",")
        name = (
            {"family_name": family.strip(), "given_name": given.strip()}
            if given
            else {"full_name": d["name"]}
        )
        record: dict[str, Any] = {
            "source_id": d["caller_id"],
            "name": name,
            "phones": [{"number": d["phone"], "kind": "home", "default_region": "DE"}] if d["phone"] else [],
            "emails": [{"address": d["email"]}] if d["email"] else [],
            "updated_at": self._time(d["updated"]),
        }
        if d["street"] or d["city"]:
            record["addresses"] = [{"lines": [d["street"]], "postal_code": d["zip"], "locality": d["city"],
                                    "region_code": d["country"], "kind": "home"}]  # fmt: skip
        return record

    def _interaction(self, d: dict[str, str]) -> dict[str, Any]:
        record: dict[str, Any] = {
            "external_id": d["call_id"],
            "customer_source_id": d["caller_id"],
            "channel": "phone",
            "direction": "inbound" if d["direction"].upper() == "IN" else "outbound",
            "agent": d["agent"],
            "subject": d["topic"],
            "body": d["notes"],
            "duration_seconds": int(d["duration_s"]),
            "occurred_at": self._time(d["started"]),
        }
        if d["complaint"].upper() in COMPLAINT:
            record["service_request_external_id"] = f"complaint-{d['call_id']}"
        return record

    def _complaint(self, d: dict[str, str]) -> dict[str, Any]:
        # A resolved complaint says so; an open one leaves the case's workflow to the hub (it is NEW
        # until someone takes it on).
        resolved = {"state": "resolved", "resolution_code": "RESOLVED_BY_CALL_CENTER"}
        return {
            **(resolved if d["complaint"].upper() == "R" else {}),
            "external_id": f"complaint-{d['call_id']}",
            "customer_source_id": d["caller_id"],
            "kind": "complaint",
            "channel": "phone",
            "priority": "high",
            "category": d["topic"] or "general",
            "subject": d["topic"] or "Complaint by phone",
            "description": d["notes"],
            "opened_at": self._time(d["started"]),
        }
