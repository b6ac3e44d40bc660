"""Isthmus' own record transforms, registered through the same hooks as any plugin.

Per connector instance, in its configuration (alongside the connector's own keys):

``mask_fields``      dotted paths whose values are replaced before anything leaves the runtime
                     (e.g. ``["attributes.iban"]``).
``country_aliases``  extra country names -> ISO 3166-1 alpha-2 codes for addresses.
"""

from __future__ import annotations

from typing import Any

from isthmus.connectors.hookspecs import hookimpl
from isthmus.connectors.sdk import CUSTOMERS, Record, RecordTransform

MASK = "***"

# Sources write countries every way; the hub wants ISO codes. Common spellings seen in practice.
COUNTRY_ALIASES = {
    "germany": "DE", "deutschland": "DE", "de": "DE", "d": "DE",
    "austria": "AT", "österreich": "AT", "at": "AT",
    "switzerland": "CH", "schweiz": "CH", "ch": "CH",
    "united kingdom": "GB", "uk": "GB", "great britain": "GB", "gb": "GB",
    "united states": "US", "usa": "US", "us": "US",
    "france": "FR", "fr": "FR", "netherlands": "NL", "nl": "NL",
}  # fmt: skip


def _mask(record: Record, path: list[str]) -> None:
    node: Any = record
    for part in path[:-1]:
        node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            return
    if isinstance(node, dict) and node.get(path[-1]) not in (None, ""):
        node[path[-1]] = MASK


@hookimpl
def transform_record(connector: str, stream: str, config: dict[str, Any]) -> RecordTransform | None:
    masks = [str(p).split(".") for p in config.get("mask_fields") or ()]
    aliases = {**COUNTRY_ALIASES, **{k.lower(): v for k, v in (config.get("country_aliases") or {}).items()}}
    normalise = stream == CUSTOMERS

    if not masks and not normalise:
        return None

    def apply(record: Record) -> Record:
        for path in masks:
            _mask(record, path)
        if normalise:
            for address in record.get("addresses") or ():
                code = address.get("region_code")
                if code:
                    address["region_code"] = aliases.get(code.strip().lower(), code.strip().upper())
        return record

    return apply
