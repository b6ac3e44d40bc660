"""The connector: config schema, check, streams, read."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from isthmus.connectors import BadRecord, CheckResult, Connector, Stream, StreamState


class TemplateConnector(Connector):
    name = "template"
    config_schema = {
        "type": "object",
        "required": ["path"],
        "additionalProperties": False,
        "properties": {
            "path": {"type": "string", "description": "The JSON Lines file of customers"},
            "api_key": {"type": "string", "secret": True, "description": "Shown as *** in logs"},
            "source_system": {"type": "string"},
        },
    }
    streams = (Stream("customers", primary_key="source_id", cursor_field="updated_at"),)

    def check(self) -> CheckResult:
        path = Path(self.config["path"])
        if not path.is_file():
            return CheckResult.failure(f"no file at {path}")
        return CheckResult.success()

    def read(self, stream: str, state: StreamState) -> Iterator[Any]:
        rows = []
        for number, line in enumerate(Path(self.config["path"]).read_text().splitlines(), 1):
            try:
                row = json.loads(line)
                key = (row["updated_at"], int(row["id"]))
            except (ValueError, KeyError, TypeError) as exc:
                yield BadRecord(f"line {number}: {exc}", line, key=f"line {number}")
                continue
            rows.append((key, row))
        after = (state.cursor, int(state.tie_breaker)) if state.cursor and state.tie_breaker else None
        # (cursor, id) order, strictly after the state: equal timestamps neither repeat nor drop.
        for key, row in sorted(rows, key=lambda item: item[0]):
            if after is None or key > after:
                yield {
                    "source_id": str(row["id"]),
                    "name": {"full_name": row["name"]},
                    "emails": [{"address": row["email"]}] if row.get("email") else [],
                    "updated_at": row["updated_at"],
                }
