"""Isthmus' own record transforms, registered through the same hooks as any plugin.

Per connector instance, in its configuration (alongside the connector's own keys):

``mask_fields``      dotted paths whose values are replaced before anything leaves the runtime
                     (e.g. ``["attributes.iban"]``).
``country_aliases``  extra country names -> ISO 3166-1 alpha-2 codes for addresses.

Country names, alpha-2 and alpha-3 codes are looked up in ISO 3166-1 as pycountry ships it (English
names, official and common names: "Italy", "ITA", "Republic of Korea"); the aliases add the
spellings ISO does not have (names in other languages, "UK").
"""

from __future__ import annotations

import functools
from typing import Any

import pycountry

from isthmus.connectors.hookspecs import hookimpl
from isthmus.connectors.sdk import CUSTOMERS, Record, RecordTransform

MASK = "***"

# Spellings sources use that are not ISO 3166 names or codes (ISO's own are looked up, not listed).
COUNTRY_ALIASES = {
    "deutschland": "DE", "d": "DE", "österreich": "AT", "schweiz": "CH", "suisse": "CH",
    "uk": "GB", "great britain": "GB", "england": "GB", "usa": "US", "holland": "NL",
}  # fmt: skip


@functools.lru_cache(maxsize=4096)
def iso_country(text: str) -> str | None:
    """The ISO 3166-1 alpha-2 code of a country name or code, or None when ISO does not know it."""
    try:
        return str(pycountry.countries.lookup(text).alpha_2)
    except LookupError:
        return None


def country_code(text: str, aliases: dict[str, str]) -> str:
    """An address's country as an ISO code: an alias, else ISO 3166's names and codes, else as given
    (upper-cased; the customer master decides what it makes of it)."""
    key = text.strip()
    return aliases.get(key.lower()) or iso_country(key) or key.upper()


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
                    address["region_code"] = country_code(code, aliases)
        return record

    return apply
