"""Segments: declarative rules over a customer's value profile, versioned, evaluated one customer at a time.

A segment's rule is plain data (JSON on the wire and in the table), so a marketer's definition can be
stored, diffed and shown back without code::

    {"all": [
        {"field": "tier", "op": "in", "value": ["A", "B"]},
        {"field": "categories", "op": "contains", "value": "garden"},
        {"not": {"field": "consents", "op": "contains", "value": "EMAIL"}}
    ]}

A node is ``{"all": [...]}``, ``{"any": [...]}``, ``{"not": node}`` or a condition
``{"field", "op", "value"}`` over one field of :class:`Profile`, or over one of the customer's traits
(``"traits.heard_from"``: an answer an agent's script captured; text, "" when never captured).
Published versions never change: editing a published segment makes the next version, and members are
re-evaluated against it when it is published.

Membership is kept per customer: each event that changes a profile evaluates the published segments that
read a changed field, and the difference from the stored membership is what enters and leaves
(:func:`membership_diff`). No I/O.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from isthmus.kernel.errors import FailedPrecondition, InvalidArgument

MAX_DEPTH = 8
MAX_CONDITIONS = 64


class FieldKind(enum.Enum):
    NUMBER = "number"
    TEXT = "text"
    SET = "set"
    FLAG = "flag"


@dataclass(frozen=True)
class Profile:
    """What segments can ask of one customer: value, RFM, tier, consent, channels, categories, place, loyalty.

    Built by the value context from the events it has seen (orders, customer master, loyalty, service
    requests); never from another context's tables. Text values are compared case-insensitively.
    """

    customer_id: str
    historical_value: Decimal = Decimal(0)
    predicted_value: Decimal = Decimal(0)
    alive_probability: float = 1.0
    recency_score: int = 0  # RFM scores 1..5; 0 before the first order
    frequency_score: int = 0
    monetary_score: int = 0
    tier: str = ""  # A, B, C by share of value
    churn_risk: bool = False
    credit_rank: str = ""  # new, good, fair, poor (how the customer pays); "" before any order
    orders: int = 0
    days_since_last_order: int | None = None
    consents: frozenset[str] = frozenset()  # channels with marketing consent GRANTED: EMAIL, SMS, ...
    channels: frozenset[str] = frozenset()  # where the customer bought: web, phone, store, ...
    categories: frozenset[str] = frozenset()  # product categories bought
    country: str = ""
    region: str = ""
    city: str = ""
    postal_code: str = ""
    loyalty_tier: str = ""
    suppressed: bool = False
    open_complaints: int = 0
    # Answers agents' scripts captured (service_requests.CustomerTraitsCaptured), by trait name.
    traits: Mapping[str, str] = field(default_factory=dict, hash=False)

    @property
    def rfm(self) -> str:
        return f"{self.recency_score}{self.frequency_score}{self.monetary_score}"


FIELDS: dict[str, FieldKind] = {
    "historical_value": FieldKind.NUMBER,
    "predicted_value": FieldKind.NUMBER,
    "alive_probability": FieldKind.NUMBER,
    "recency_score": FieldKind.NUMBER,
    "frequency_score": FieldKind.NUMBER,
    "monetary_score": FieldKind.NUMBER,
    "orders": FieldKind.NUMBER,
    "days_since_last_order": FieldKind.NUMBER,
    "open_complaints": FieldKind.NUMBER,
    "rfm": FieldKind.TEXT,
    "tier": FieldKind.TEXT,
    "country": FieldKind.TEXT,
    "region": FieldKind.TEXT,
    "city": FieldKind.TEXT,
    "postal_code": FieldKind.TEXT,
    "loyalty_tier": FieldKind.TEXT,
    "credit_rank": FieldKind.TEXT,
    "consents": FieldKind.SET,
    "channels": FieldKind.SET,
    "categories": FieldKind.SET,
    "churn_risk": FieldKind.FLAG,
    "suppressed": FieldKind.FLAG,
}

# The fields a profile field is derived from, so "rfm" is re-read when a score changes.
_DERIVED = {"rfm": ("recency_score", "frequency_score", "monetary_score")}
# "traits.NAME": a trait captured by an agent's script (the names scripts' steps may capture).
TRAITS = "traits"
_TRAIT = re.compile(r"traits\.([a-z][a-z0-9_]{0,63})")


def kind_of(name: object) -> FieldKind | None:
    """The kind of a rule's field: a profile field's, text for a trait; None for neither."""
    if not isinstance(name, str):
        return None
    if name in FIELDS:
        return FIELDS[name]
    return FieldKind.TEXT if _TRAIT.fullmatch(name) else None


OPERATORS: dict[FieldKind, frozenset[str]] = {
    FieldKind.NUMBER: frozenset({"eq", "ne", "gt", "gte", "lt", "lte", "between", "is_set"}),
    FieldKind.TEXT: frozenset({"eq", "ne", "in", "not_in", "prefix"}),
    FieldKind.SET: frozenset({"contains", "contains_any", "contains_all", "empty"}),
    FieldKind.FLAG: frozenset({"is"}),
}


# ---------------------------------------------------------------- rules


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: Any

    def fields(self) -> frozenset[str]:
        if self.field.startswith(TRAITS + "."):
            return frozenset({TRAITS})  # the profile's traits change as one field
        return frozenset({self.field, *_DERIVED.get(self.field, ())})

    def matches(self, profile: Profile) -> bool:
        if self.field.startswith(TRAITS + "."):
            actual: Any = profile.traits.get(self.field.removeprefix(TRAITS + "."), "")
        else:
            actual = getattr(profile, self.field)
        kind = kind_of(self.field)
        assert kind is not None
        if kind is FieldKind.NUMBER:
            return _number(self.op, actual, self.value)
        if kind is FieldKind.TEXT:
            return _text(self.op, str(actual).casefold(), self.value)
        if kind is FieldKind.SET:
            held = {str(v).casefold() for v in actual}
            return _set(self.op, held, self.value)
        return bool(actual) is self.value

    def to_json(self) -> dict[str, Any]:
        value = self.value
        if isinstance(value, Decimal):
            value = str(value)
        elif isinstance(value, tuple) and value and isinstance(value[0], Decimal):
            value = [str(v) for v in value]
        elif isinstance(value, (tuple, frozenset)):
            value = sorted(value) if isinstance(value, frozenset) else list(value)
        return {"field": self.field, "op": self.op, "value": value}


@dataclass(frozen=True)
class All:
    rules: tuple[Rule, ...]

    def fields(self) -> frozenset[str]:
        return frozenset().union(*(r.fields() for r in self.rules))

    def matches(self, profile: Profile) -> bool:
        return all(r.matches(profile) for r in self.rules)

    def to_json(self) -> dict[str, Any]:
        return {"all": [r.to_json() for r in self.rules]}


@dataclass(frozen=True)
class Any_:
    rules: tuple[Rule, ...]

    def fields(self) -> frozenset[str]:
        return frozenset().union(*(r.fields() for r in self.rules))

    def matches(self, profile: Profile) -> bool:
        return any(r.matches(profile) for r in self.rules)

    def to_json(self) -> dict[str, Any]:
        return {"any": [r.to_json() for r in self.rules]}


@dataclass(frozen=True)
class Not:
    rule: Rule

    def fields(self) -> frozenset[str]:
        return self.rule.fields()

    def matches(self, profile: Profile) -> bool:
        return not self.rule.matches(profile)

    def to_json(self) -> dict[str, Any]:
        return {"not": self.rule.to_json()}


Rule = Condition | All | Any_ | Not


def _number(op: str, actual: Any, expected: Any) -> bool:
    if op == "is_set":
        return (actual is not None) is expected
    if actual is None:
        return False
    a = Decimal(str(actual))
    if op == "between":
        low, high = expected
        return bool(low <= a <= high)
    return {
        "eq": a == expected,
        "ne": a != expected,
        "gt": a > expected,
        "gte": a >= expected,
        "lt": a < expected,
        "lte": a <= expected,
    }[op]


def _text(op: str, actual: str, expected: Any) -> bool:
    if op == "eq":
        return actual == expected
    if op == "ne":
        return actual != expected
    if op == "in":
        return actual in expected
    if op == "not_in":
        return actual not in expected
    return actual.startswith(expected)  # prefix


def _set(op: str, held: set[str], expected: Any) -> bool:
    if op == "contains":
        return expected in held
    if op == "contains_any":
        return bool(held & expected)
    if op == "contains_all":
        return bool(expected <= held)
    return (not held) is expected  # empty


def parse_rule(data: Any, path: str = "rule") -> Rule:
    """The rule in ``data`` (parsed JSON), or InvalidArgument naming every bad node by its path."""
    problems: list[tuple[str, str]] = []
    counter = [0]
    rule = _parse(data, path, 0, problems, counter)
    if counter[0] > MAX_CONDITIONS:
        problems.append((path, f"has {counter[0]} conditions; at most {MAX_CONDITIONS}"))
    if problems or rule is None:
        raise InvalidArgument.many(problems or [(path, "is not a rule")])
    return rule


def _parse(
    data: Any, path: str, depth: int, problems: list[tuple[str, str]], counter: list[int]
) -> Rule | None:
    if depth > MAX_DEPTH:
        problems.append((path, f"nests deeper than {MAX_DEPTH} levels"))
        return None
    if not isinstance(data, Mapping):
        problems.append((path, "must be an object with all, any, not or field"))
        return None
    keys = set(data)
    for group, make in (("all", All), ("any", Any_)):
        if keys == {group}:
            items = data[group]
            if not isinstance(items, list) or not items:
                problems.append((f"{path}.{group}", "must be a non-empty list of rules"))
                return None
            parsed = [
                _parse(item, f"{path}.{group}[{i}]", depth + 1, problems, counter)
                for i, item in enumerate(items)
            ]
            if any(p is None for p in parsed):
                return None
            return make(tuple(p for p in parsed if p is not None))
    if keys == {"not"}:
        inner = _parse(data["not"], f"{path}.not", depth + 1, problems, counter)
        return Not(inner) if inner is not None else None
    if "field" in keys:
        counter[0] += 1
        return _condition(data, path, problems)
    problems.append((path, f"has keys {sorted(keys)}; expected one of all, any, not, or field/op/value"))
    return None


def _condition(data: Mapping[str, Any], path: str, problems: list[tuple[str, str]]) -> Condition | None:
    extra = set(data) - {"field", "op", "value"}
    if extra:
        problems.append((path, f"unknown keys {sorted(extra)}"))
        return None
    name = data.get("field")
    op = data.get("op")
    kind = kind_of(name)
    if kind is None:
        problems.append(
            (
                f"{path}.field",
                f"{name!r} is not a profile field; one of {', '.join(sorted(FIELDS))}, or traits.NAME",
            )
        )
        return None
    assert isinstance(name, str)
    if op not in OPERATORS[kind]:
        problems.append(
            (f"{path}.op", f"{op!r} does not apply to {name}; one of {', '.join(sorted(OPERATORS[kind]))}")
        )
        return None
    value = _value(kind, op, data.get("value"), f"{path}.value", problems)
    return None if value is _BAD else Condition(name, op, value)


_BAD = object()


def _value(kind: FieldKind, op: str, raw: Any, path: str, problems: list[tuple[str, str]]) -> Any:
    def bad(message: str) -> object:
        problems.append((path, message))
        return _BAD

    if op in {"is_set", "empty", "is"}:
        return raw if isinstance(raw, bool) else bad("must be true or false")
    if kind is FieldKind.NUMBER:
        if op == "between":
            if not isinstance(raw, list) or len(raw) != 2:
                return bad("must be [low, high]")
            pair = tuple(_decimal(v) for v in raw)
            if None in pair:
                return bad("must be two numbers")
            low, high = pair
            assert low is not None and high is not None
            return (low, high) if low <= high else bad("low is above high")
        number = _decimal(raw)
        return number if number is not None else bad("must be a number")
    if op in {"in", "not_in", "contains_any", "contains_all"}:
        if not isinstance(raw, list) or not raw or not all(isinstance(v, str) for v in raw):
            return bad("must be a non-empty list of texts")
        return frozenset(v.strip().casefold() for v in raw)
    if not isinstance(raw, str) or not raw.strip():
        return bad("must be a non-empty text")
    return raw.strip().casefold()


def _decimal(raw: Any) -> Decimal | None:
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
        return None
    try:
        number = Decimal(str(raw))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


# ---------------------------------------------------------------- definitions and versions


class SegmentState(enum.IntEnum):
    """Numbered as ``SegmentState`` in the API."""

    DRAFT = 1
    PUBLISHED = 2
    RETIRED = 3


@dataclass(frozen=True)
class SegmentVersion:
    """One version of a segment's rule. A published version is never changed, only superseded."""

    segment_id: str
    version: int
    name: str
    rule: Rule
    state: SegmentState
    description: str = ""
    created_at: datetime | None = None
    published_at: datetime | None = None

    def fields(self) -> frozenset[str]:
        return self.rule.fields()


def next_version(
    current: SegmentVersion | None, name: str, rule: Rule, description: str, at: datetime
) -> SegmentVersion:
    """A new draft: the segment's first version, or the one after ``current``.

    A draft that was never published is replaced in place (same number); a published one is kept and
    the draft takes the next number.
    """
    if current is None:
        return SegmentVersion("", 1, name, rule, SegmentState.DRAFT, description, at)
    if current.state is SegmentState.RETIRED:
        raise FailedPrecondition(f"segment {current.segment_id} is retired; define a new segment")
    number = current.version if current.state is SegmentState.DRAFT else current.version + 1
    return SegmentVersion(current.segment_id, number, name, rule, SegmentState.DRAFT, description, at)


def publish(draft: SegmentVersion, at: datetime) -> SegmentVersion:
    if draft.state is not SegmentState.DRAFT:
        raise FailedPrecondition(
            f"segment {draft.segment_id} version {draft.version} is {draft.state.name}, not a draft"
        )
    return SegmentVersion(
        draft.segment_id,
        draft.version,
        draft.name,
        draft.rule,
        SegmentState.PUBLISHED,
        draft.description,
        draft.created_at,
        at,
    )


# ---------------------------------------------------------------- evaluation


@dataclass(frozen=True)
class MembershipDiff:
    """What one evaluation changed: ``(segment_id, version)`` pairs entered and left."""

    customer_id: str
    entered: tuple[tuple[str, int], ...] = ()
    left: tuple[tuple[str, int], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.entered or self.left)


def relevant(segments: Iterable[SegmentVersion], changed: Iterable[str] | None) -> list[SegmentVersion]:
    """The published segments that read any of ``changed`` fields (all of them when ``changed`` is None)."""
    published = [s for s in segments if s.state is SegmentState.PUBLISHED]
    if changed is None:
        return published
    wanted = set(changed)
    return [s for s in published if s.fields() & wanted]


def membership_diff(
    profile: Profile,
    segments: Sequence[SegmentVersion],
    current: Mapping[str, int],
) -> MembershipDiff:
    """Evaluate ``segments`` for ``profile`` against its ``current`` memberships (segment id → version).

    Only the segments given are decided: pass the relevant ones to evaluate incrementally. A member of
    an older version who still matches the new one stays a member (no Left/Entered pair); one who no
    longer matches leaves.
    """
    entered: list[tuple[str, int]] = []
    left: list[tuple[str, int]] = []
    for segment in segments:
        was = segment.segment_id in current
        now = segment.rule.matches(profile)
        if now and not was:
            entered.append((segment.segment_id, segment.version))
        elif was and not now:
            left.append((segment.segment_id, current[segment.segment_id]))
    return MembershipDiff(profile.customer_id, tuple(entered), tuple(left))


@dataclass(frozen=True)
class DryRun:
    """How many profiles a rule matches, out of how many, with a few of them to look at."""

    matched: int
    evaluated: int
    sample: tuple[str, ...]


def dry_run(rule: Rule, profiles: Iterable[Profile], sample_size: int = 10) -> DryRun:
    matched = evaluated = 0
    sample: list[str] = []
    for profile in profiles:
        evaluated += 1
        if rule.matches(profile):
            matched += 1
            if len(sample) < sample_size:
                sample.append(profile.customer_id)
    return DryRun(matched, evaluated, tuple(sample))


def describe(rule: Rule) -> str:
    """The rule in words, for lists and audit entries: ``tier in [a, b] and not consents contains email``."""
    if isinstance(rule, Condition):
        value = rule.to_json()["value"]
        return f"{rule.field} {rule.op.replace('_', ' ')} {value}"
    if isinstance(rule, Not):
        return f"not ({describe(rule.rule)})"
    joiner = " and " if isinstance(rule, All) else " or "
    return "(" + joiner.join(describe(r) for r in rule.rules) + ")"


__all__ = [
    "FIELDS",
    "All",
    "Any_",
    "Condition",
    "DryRun",
    "MembershipDiff",
    "Not",
    "Profile",
    "Rule",
    "SegmentState",
    "SegmentVersion",
    "describe",
    "dry_run",
    "membership_diff",
    "next_version",
    "parse_rule",
    "publish",
    "relevant",
]
