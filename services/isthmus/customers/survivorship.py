"""Survivorship (pure): which source values make up the golden record, and the lineage of each.

Single-valued attributes (name, date of birth, company) are chosen by a configurable rule; lists
(emails, phones, addresses, identifiers) are the union of the sources, newest first. Blank values
never compete, so a source that omits a value cannot overwrite it.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple, TypeVar

from isthmus.customers.matching import _street_key
from isthmus.customers.records import Address, Email, Identifier, Name, Phone, Record


class Rule(enum.Enum):
    SOURCE_PRIORITY = "source_priority"
    MOST_RECENT = "most_recent"
    MOST_FREQUENT = "most_frequent"
    MOST_COMPLETE = "most_complete"
    UNION = "union"
    STEWARD = "steward"


_RULE_VALUES = {rule: rule.value for rule in Rule}  # an enum's .value is a property lookup


@dataclass(frozen=True)
class SurvivorshipConfig:
    # Most trusted first; systems not listed rank after the listed ones.
    source_priority: tuple[str, ...] = ()
    name: Rule = Rule.SOURCE_PRIORITY
    date_of_birth: Rule = Rule.MOST_FREQUENT
    company: Rule = Rule.MOST_RECENT


class Lineage(NamedTuple):
    """Where a golden value came from. A named tuple, not a frozen dataclass: one is made per golden
    value, thousands a batch, and a tuple is made for a fraction of the cost."""

    field: str
    value: str
    raw: str
    source_system: str
    source_id: str
    rule: Rule
    observed_at: datetime


@dataclass
class Golden:
    name: Name = field(default_factory=Name)
    emails: list[Email] = field(default_factory=list)
    phones: list[Phone] = field(default_factory=list)
    addresses: list[Address] = field(default_factory=list)
    dob: str = ""
    identifiers: list[Identifier] = field(default_factory=list)
    company: str = ""
    lineage: list[Lineage] = field(default_factory=list)
    conflicting: bool = False

    def flat(self) -> dict[str, str]:
        """Field path -> display value, for audit diffs."""
        return {entry.field: entry.value for entry in self.lineage}

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": dict(self.name.__dict__),
            "emails": [dict(e.__dict__) for e in self.emails],
            "phones": [dict(p.__dict__) for p in self.phones],
            "addresses": [{**a.__dict__, "lines": list(a.lines)} for a in self.addresses],
            "dob": self.dob,
            "identifiers": [dict(i.__dict__) for i in self.identifiers],
            "company": self.company,
            "conflicting": self.conflicting,
        }
        # A golden record's values come from a few records: each one's time is formatted once.
        times = {at: at.isoformat() for at in {e.observed_at for e in self.lineage}}
        data["lineage"] = [
            [
                e.field,
                e.value,
                e.raw,
                e.source_system,
                e.source_id,
                _RULE_VALUES[e.rule],
                times[e.observed_at],
            ]
            for e in self.lineage
        ]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Golden:
        return cls(
            name=Name(**data["name"]),
            emails=[Email(**e) for e in data["emails"]],
            phones=[Phone(**p) for p in data["phones"]],
            addresses=[Address(**{**a, "lines": tuple(a["lines"])}) for a in data["addresses"]],
            dob=data["dob"],
            identifiers=[Identifier(**i) for i in data["identifiers"]],
            company=data["company"],
            lineage=[
                Lineage(f, v, raw, sys, sid, Rule(rule), datetime.fromisoformat(at))
                for f, v, raw, sys, sid, rule, at in data["lineage"]
            ],
            conflicting=data["conflicting"],
        )


T = TypeVar("T")


def _recency(r: Record) -> float:
    return -r.observed_at.timestamp()


def _choose(
    candidates: list[tuple[str, Record]],
    rule: Rule,
    priority: Callable[[Record], int],
    completeness: Callable[[str], int] = len,
) -> tuple[str, Record]:
    if rule is Rule.SOURCE_PRIORITY:
        return min(candidates, key=lambda c: (priority(c[1]), _recency(c[1]), c[1].source_id))
    if rule is Rule.MOST_RECENT:
        return min(candidates, key=lambda c: (_recency(c[1]), priority(c[1]), c[1].source_id))
    if rule is Rule.MOST_FREQUENT:
        counts = Counter(v for v, _ in candidates)
        return min(candidates, key=lambda c: (-counts[c[0]], priority(c[1]), _recency(c[1]), c[1].source_id))
    if rule is Rule.MOST_COMPLETE:
        return min(
            candidates, key=lambda c: (-completeness(c[0]), priority(c[1]), _recency(c[1]), c[1].source_id)
        )
    raise ValueError(f"rule {rule} does not choose one value")


def _name_completeness(key: str) -> int:
    parts = [p for p in key.split("|") if p]
    return len(parts) * 100 + sum(len(p) for p in parts)


def golden_record(members: Sequence[Record], config: SurvivorshipConfig) -> Golden:
    """The golden values of the customer whose source records are ``members``."""
    order = {s: i for i, s in enumerate(config.source_priority)}

    def priority(r: Record) -> int:
        return order.get(r.source_system, len(order))

    newest_first = sorted(members, key=lambda r: (_recency(r), priority(r), r.source_system, r.source_id))
    g = Golden()

    def lineage(path: str, value: str, raw: str, r: Record, rule: Rule) -> None:
        g.lineage.append(Lineage(path, value, raw, r.source_system, r.source_id, rule, r.observed_at))

    names = [(_name_key(r.name), r) for r in members if not r.name.is_empty()]
    if names:
        _, winner = _choose(names, config.name, priority, _name_completeness)
        g.name = winner.name
        for part in ("prefix", "given", "middle", "family", "suffix"):
            value = getattr(winner.name, part)
            if value:
                path = f"name.{part}_name" if part in ("given", "middle", "family") else f"name.{part}"
                lineage(path, value, winner.name.raw, winner, config.name)

    dobs = [(r.dob, r) for r in members if r.dob]
    if dobs:
        value, winner = _choose(dobs, config.date_of_birth, priority)
        g.dob = value
        g.conflicting = len({v for v, _ in dobs}) > 1
        lineage("birth_date", value, winner.dob_raw, winner, config.date_of_birth)

    companies = [(r.company, r) for r in members if r.company]
    if companies:
        value, winner = _choose(companies, config.company, priority)
        g.company = value
        lineage("company", value, winner.company_raw, winner, config.company)

    seen: set[str] = set()
    for r in newest_first:
        for e in sorted(r.emails, key=lambda e: not e.primary):
            if e.key not in seen:
                seen.add(e.key)
                lineage(f"emails[{len(g.emails)}].address", e.address, e.raw, r, Rule.UNION)
                g.emails.append(Email(e.address, e.raw, e.kind, primary=not g.emails))
        for p in sorted(r.phones, key=lambda p: not p.primary):
            if p.number not in seen:
                seen.add(p.number)
                lineage(f"phones[{len(g.phones)}].number", p.number, p.raw, r, Rule.UNION)
                g.phones.append(Phone(p.number, p.raw, p.kind, primary=not g.phones))
        for a in sorted(r.addresses, key=lambda a: not a.primary):
            key = (
                "addr:"
                + a.postal_code.replace(" ", "")
                + "|"
                + (_street_key(a.lines[0]) if a.lines else a.locality)
            )
            if key not in seen:
                seen.add(key)
                lineage(f"addresses[{len(g.addresses)}]", a.display, a.raw, r, Rule.UNION)
                g.addresses.append(_with_primary(a, not g.addresses))
        for i in r.identifiers:
            if i.key not in seen:
                seen.add(i.key)
                if any(x.kind == i.kind and x.country == i.country for x in g.identifiers):
                    g.conflicting = True
                lineage(f"identifiers[{len(g.identifiers)}].value", i.value, i.raw, r, Rule.UNION)
                g.identifiers.append(i)
    return g


def _name_key(n: Name) -> str:
    return "|".join((n.prefix, n.given, n.middle, n.family, n.suffix))


def _with_primary(a: Address, primary: bool) -> Address:
    return Address(a.lines, a.locality, a.area, a.postal_code, a.region, a.recipient, a.raw, a.kind, primary)


def diff(before: dict[str, str], after: dict[str, str]) -> list[tuple[str, str, str]]:
    """(field, before, after) for every field whose value changed, in field order."""
    fields = sorted(set(before) | set(after))
    return [(f, before.get(f, ""), after.get(f, "")) for f in fields if before.get(f, "") != after.get(f, "")]
