"""A simulated legacy call center: it drops CSV exports (and their .done markers) into an inbox."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from isthmus_connector_callcenter.connector import CALL_FIELDS, CALLER_FIELDS


class CallCenterSimulator:
    def __init__(self, directory: Path, *, seed: int = 12) -> None:
        self.inbox = directory / "callcenter-inbox"
        self.inbox.mkdir(parents=True, exist_ok=True)
        self.drops = 0
        self.next_id = 1000
        if seed:
            self.add_records("customers", seed)
            self.add_records("interactions", seed)

    def config(self) -> dict[str, Any]:
        return {"inbox": str(self.inbox)}

    def bad_config(self) -> dict[str, Any]:
        return {"inbox": str(self.inbox / "missing")}

    def drop(
        self, kind: str, rows: list[list[str]], *, complete: bool = True, name: str | None = None
    ) -> Path:
        """Write a file as the export does: the rows, then (if complete) the .done marker."""
        self.drops += 1
        fields = CALLER_FIELDS if kind == "callers" else CALL_FIELDS
        path = self.inbox / (name or f"{kind}_20240503{self.drops:04d}.csv")
        lines = [";".join(fields), *(";".join(r) for r in rows)]
        path.write_text("\n".join(lines) + "\n")
        if complete:
            path.with_name(path.name + ".done").touch()
        return path

    def caller(self, caller_id: str, name: str, phone: str = "", email: str = "", **more: str) -> list[str]:
        street, zip_code, city = more.get("street", ""), more.get("zip_code", ""), more.get("city", "")
        country, updated = more.get("country", "DE"), more.get("updated", "03.05.2024 09:00")
        return [caller_id, name, phone, email, street, zip_code, city, country, updated]

    def call(
        self,
        call_id: str,
        caller_id: str,
        *,
        agent: str = "agent7",
        started: str = "03.05.2024 10:15",
        duration: int = 240,
        topic: str = "Order status",
        complaint: bool = False,
        resolved: bool = False,
        notes: str = "",
    ) -> list[str]:
        """A call row; ``complaint`` raises one, ``resolved`` says the call center resolved it."""
        return [
            call_id,
            caller_id,
            agent,
            started,
            str(duration),
            "IN",
            topic,
            ("R" if resolved else "Y") if complaint else "N",
            notes,
        ]

    def add_records(self, stream: str, count: int) -> None:
        rows = []
        for _ in range(count):
            self.next_id += 1
            n = self.next_id
            if stream == "customers":
                rows.append(self.caller(f"K{n}", f"Caller{n}, Pat", phone=f"030 555 {n}"))
            else:
                rows.append(self.call(f"C{n}", f"K{n}", complaint=stream == "service_requests" or n % 3 == 0,
                                      notes=f"call {n}"))  # fmt: skip
        self.drop("callers" if stream == "customers" else "calls", rows)

    def add_bad_record(self, stream: str) -> None:
        self.next_id += 1
        good = (self.caller(f"K{self.next_id}", "Good, Row") if stream == "customers"
                else self.call(f"C{self.next_id}", "K1", complaint=True))  # fmt: skip
        self.drop("callers" if stream == "customers" else "calls", [good, ["broken", "line"]])

    def close(self) -> None:
        return None
