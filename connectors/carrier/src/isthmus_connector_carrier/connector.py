"""The carrier connector: a tracer the hub issues (a customer's parcel did not arrive) becomes a trace
claim with the carrier that took the parcel, and the carrier's claim reference goes back on the case.

The carrier here is the simulated one of ``simulator.py``: a claims API kept as a JSON file, one claim
per parcel and case. A connector for a real carrier's API keeps this shape: ``file_tracer`` returns the
claim's reference, the same one for a tracer it was given before (the event may be delivered again).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from isthmus.connectors import CheckResult, Connector, Tracer, TransientError


class CarrierConnector(Connector):
    name = "carrier"
    config_schema = {
        "type": "object",
        "required": ["claims_file", "carriers"],
        "additionalProperties": False,
        "properties": {
            "claims_file": {"type": "string", "description": "The carrier's claims (its API, simulated)"},
            "carriers": {
                "type": "array",
                "minItems": 1,
                "items": {"type": "string", "minLength": 1},
                "description": "The carrier names (as orders are shipped with) this instance files for",
            },
            "api_key": {"type": "string", "secret": True, "description": "Shown as *** in logs"},
            "source_system": {"type": "string"},
        },
    }
    streams = ()
    files_tracers = True

    @property
    def _path(self) -> Path:
        return Path(self.config["claims_file"])

    def check(self) -> CheckResult:
        if not self._path.parent.is_dir():
            return CheckResult.failure(f"no directory for the claims file at {self._path.parent}")
        return CheckResult.success()

    def _claims(self) -> dict[str, Any]:
        try:
            return dict(json.loads(self._path.read_text())) if self._path.exists() else {}
        except (OSError, ValueError) as exc:
            raise TransientError(f"the carrier's claims cannot be read: {exc}") from exc

    def file_tracer(self, tracer: Tracer) -> str | None:
        ours = {c.casefold() for c in self.config["carriers"]}
        if tracer.carrier.casefold() not in ours:
            return None
        claims = self._claims()
        key = f"{tracer.tracking_number}|{tracer.service_request_id}"
        if key not in claims:
            claims[key] = {
                "reference": f"CLM-{len(claims) + 1:05d}",
                "tracking_number": tracer.tracking_number,
                "shipped_at": tracer.shipped_at,
                "warehouse": tracer.warehouse,
                "manifest_number": tracer.manifest_number,
                "case": tracer.service_request_id,
                "order": tracer.order_id,
                "what": tracer.subject,
            }
            # Written whole and moved into place: a claim is never half there.
            with tempfile.NamedTemporaryFile("w", dir=self._path.parent, delete=False) as out:
                json.dump(claims, out, indent=1, sort_keys=True)
            os.replace(out.name, self._path)
        return str(claims[key]["reference"])
