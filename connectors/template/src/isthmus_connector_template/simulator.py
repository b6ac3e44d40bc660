"""The simulated source: a JSON Lines file the tests (and you) can grow."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


class TemplateSource:
    def __init__(self, directory: Path, count: int = 12) -> None:
        self.path = directory / "customers.jsonl"
        self.path.write_text("")
        self.next_id = 1
        self.add_records("customers", count)

    def config(self) -> dict[str, Any]:
        return {"path": str(self.path), "api_key": "s3cret-key"}

    def bad_config(self) -> dict[str, Any]:
        return {"path": str(self.path.with_name("missing.jsonl"))}

    def add_records(self, stream: str, count: int) -> None:
        with self.path.open("a") as out:
            for _ in range(count):
                n = self.next_id
                self.next_id += 1
                # Pairs share a timestamp, so the tie-breaker matters.
                stamp = f"2024-05-01T10:{(n // 2) % 60:02d}:00+00:00"
                out.write(json.dumps({"id": n, "name": f"Person {n}", "email": f"p{n}@example.com",
                                      "updated_at": stamp}) + "\n")  # fmt: skip

    def add_bad_record(self, stream: str) -> None:
        with self.path.open("a") as out:
            out.write('{"id": "not-a-number", "name": "Broken"}\n')

    def close(self) -> None:
        return None
