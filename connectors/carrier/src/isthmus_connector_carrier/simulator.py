"""The simulated carrier: its claims API kept as a JSON file the tests (and you) can read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


class CarrierSimulator:
    def __init__(self, directory: Path, carriers: tuple[str, ...] = ("DHL",)) -> None:
        self.path = directory / "claims.json"
        self.carriers = carriers

    def config(self) -> dict[str, Any]:
        return {"claims_file": str(self.path), "carriers": list(self.carriers), "api_key": "s3cret-key"}

    def claims(self) -> list[dict[str, Any]]:
        """The claims filed, oldest first."""
        if not self.path.exists():
            return []
        found = json.loads(self.path.read_text()).values()
        return sorted(found, key=lambda c: str(c["reference"]))

    def close(self) -> None:
        return None
