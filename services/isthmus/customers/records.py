"""A source record after normalisation: the customer master's own value objects (no I/O, no protobuf).

Every value keeps the raw form the source sent beside its normalised form, so lineage can show both.
Records are stored as JSON (``to_json``/``from_json``) and compared by :func:`content_hash`, which is
what makes re-ingesting the same data a no-op.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson


@dataclass(frozen=True)
class Name:
    given: str = ""
    middle: str = ""
    family: str = ""
    prefix: str = ""
    suffix: str = ""
    raw: str = ""

    @property
    def display(self) -> str:
        return " ".join(p for p in (self.prefix, self.given, self.middle, self.family, self.suffix) if p)

    def is_empty(self) -> bool:
        return not (self.given or self.family or self.middle)


@dataclass(frozen=True)
class Email:
    address: str  # canonical: trimmed, domain lower-cased
    raw: str
    kind: int = 0
    primary: bool = False

    @property
    def key(self) -> str:
        return self.address.casefold()


@dataclass(frozen=True)
class Phone:
    number: str  # E.164
    raw: str
    kind: int = 0
    primary: bool = False


@dataclass(frozen=True)
class Address:
    lines: tuple[str, ...] = ()
    locality: str = ""
    area: str = ""
    postal_code: str = ""
    region: str = ""
    recipient: str = ""
    raw: str = ""
    kind: int = 0
    primary: bool = False

    @property
    def display(self) -> str:
        parts = [
            *self.lines,
            " ".join(p for p in (self.postal_code, self.locality) if p),
            self.area,
            self.region,
        ]
        return ", ".join(p for p in parts if p)


@dataclass(frozen=True)
class Identifier:
    kind: int
    value: str  # upper-case, separators removed
    country: str = ""
    raw: str = ""

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.country}:{self.value}"


@dataclass(frozen=True)
class Finding:
    """A value the source sent that the customer master could not use: kept as sent, never golden.

    ``field`` is its path in the source record (``date_of_birth``, ``emails[1].address``), ``rule``
    the rule it broke (``calendar_date``, ``email_address``...), ``raw`` the value as sent with
    control characters escaped, ``message`` why, in words.
    """

    field: str
    rule: str
    raw: str
    message: str


@dataclass(frozen=True)
class Record:
    """One source system's copy of a customer, normalised."""

    source_system: str
    source_id: str
    observed_at: datetime
    name: Name = field(default_factory=Name)
    emails: tuple[Email, ...] = ()
    phones: tuple[Phone, ...] = ()
    addresses: tuple[Address, ...] = ()
    dob: str = ""  # ISO date, "" when unknown
    dob_raw: str = ""
    identifiers: tuple[Identifier, ...] = ()
    company: str = ""
    company_raw: str = ""
    attributes: tuple[tuple[str, str], ...] = ()
    lawful_basis: str = ""
    findings: tuple[Finding, ...] = ()

    @property
    def ref(self) -> tuple[str, str]:
        return (self.source_system, self.source_id)

    def to_json(self) -> dict[str, Any]:
        # By hand rather than dataclasses.asdict, which deep-copies and dominates bulk ingestion.
        data = {
            **self.__dict__,
            "observed_at": self.observed_at.isoformat(),
            "name": dict(self.name.__dict__),
            "emails": [dict(e.__dict__) for e in self.emails],
            "phones": [dict(p.__dict__) for p in self.phones],
            "addresses": [{**a.__dict__, "lines": list(a.lines)} for a in self.addresses],
            "identifiers": [dict(i.__dict__) for i in self.identifiers],
            "attributes": [list(kv) for kv in self.attributes],
            "findings": [dict(f.__dict__) for f in self.findings],
        }
        if not self.findings:
            # Absent rather than empty: a record without findings hashes as records always have.
            del data["findings"]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Record:
        return cls(
            source_system=data["source_system"],
            source_id=data["source_id"],
            observed_at=datetime.fromisoformat(data["observed_at"]),
            name=Name(**data["name"]),
            emails=tuple(Email(**e) for e in data["emails"]),
            phones=tuple(Phone(**p) for p in data["phones"]),
            addresses=tuple(Address(**{**a, "lines": tuple(a["lines"])}) for a in data["addresses"]),
            dob=data["dob"],
            dob_raw=data["dob_raw"],
            identifiers=tuple(Identifier(**i) for i in data["identifiers"]),
            company=data["company"],
            company_raw=data["company_raw"],
            attributes=tuple((k, v) for k, v in data["attributes"]),
            lawful_basis=data.get("lawful_basis", ""),
            findings=tuple(Finding(**f) for f in data.get("findings", ())),
        )


_NOT_PRINTABLE_ASCII = re.compile(r"[^\x00-\x7e]")


def _escaped(m: re.Match[str]) -> str:
    """A character as the standard library's ``json.dumps`` escapes it (a surrogate pair beyond the
    Basic Multilingual Plane)."""
    n = ord(m.group())
    if n < 0x10000:
        return f"\\u{n:04x}"
    n -= 0x10000
    return f"\\u{0xD800 | (n >> 10):04x}\\u{0xDC00 | (n & 0x3FF):04x}"


def content_hash(data: dict[str, Any]) -> str:
    """Hash of what the source said (a record's ``to_json()``), minus when it said it and the lawful
    basis: same content, same hash."""
    data = {k: v for k, v in data.items() if k not in ("observed_at", "lawful_basis")}
    # The hashed bytes are the standard library's (sorted keys, compact, ASCII with \u escapes):
    # stored hashes were made so. orjson writes the same bytes but for DEL and what is not ASCII,
    # which it writes as they are and the standard library escapes; those characters occur only
    # inside strings, so escaping them afterwards gives the same bytes.
    blob = orjson.dumps(data, option=orjson.OPT_SORT_KEYS)
    if not blob.isascii() or b"\x7f" in blob:
        blob = _NOT_PRINTABLE_ASCII.sub(_escaped, blob.decode()).encode()
    return hashlib.sha256(blob).hexdigest()
