"""The loyalty programme, read from configuration: earning rules, promotions, tiers, expiry. No I/O.

``ISTHMUS_LOYALTY_PROGRAMME`` holds the programme as JSON, or ``ISTHMUS_LOYALTY_PROGRAMME_FILE``
names a JSON file; without either the built-in :data:`DEFAULT` applies. The format is documented in
docs/orders-and-loyalty.md; a mistake fails start-up with a message naming the variable and the path.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_FLOOR, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from isthmus.kernel.money import MINOR_UNITS, quantum
from isthmus.platform.config import ConfigError

DEFAULT: dict[str, Any] = {
    "programme_id": "default",
    "name": "Isthmus Rewards",
    "earning_rules": [
        {"rule_id": f"base-{c.lower()}", "currency_code": c, "points_per_unit": "1"}
        for c in ("EUR", "USD", "GBP", "CHF")
    ],
    "tiers": [
        {"tier_id": "member", "name": "Member", "rank": 0, "earn_multiplier": "1"},
        {
            "tier_id": "silver",
            "name": "Silver",
            "rank": 1,
            "min_qualifying_points": 1000,
            "min_qualifying_spend": {"EUR": "1000.00"},
            "earn_multiplier": "1.25",
        },
        {
            "tier_id": "gold",
            "name": "Gold",
            "rank": 2,
            "min_qualifying_points": 5000,
            "min_qualifying_spend": {"EUR": "5000.00"},
            "earn_multiplier": "1.5",
        },
    ],
    "expiry": {"months_after_earning": 24},
    "tier_policy": {"window_months": 12, "review_every_months": 12},
}


@dataclass(frozen=True)
class Basket:
    """What loyalty needs of a paid order: currency, merchandise by category, and its totals."""

    currency: str
    lines: Sequence[tuple[str, Decimal]]  # (category, line total)
    subtotal: Decimal
    discount: Decimal

    @property
    def merchandise(self) -> Decimal:
        """Goods after discounts: what earns points and counts as qualifying spend."""
        return self.subtotal - self.discount


@dataclass(frozen=True)
class EarningRule:
    rule_id: str
    currency: str
    points_per_unit: Decimal
    description: str = ""
    category_multipliers: Mapping[str, Decimal] = field(default_factory=dict)
    minimum_order: Decimal | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    promotion: bool = False

    def applies(self, basket: Basket, at: datetime) -> bool:
        if basket.currency != self.currency:
            return False
        if self.valid_from is not None and at < self.valid_from:
            return False
        if self.valid_until is not None and at >= self.valid_until:
            return False
        return self.minimum_order is None or basket.merchandise >= self.minimum_order

    def raw_points(self, basket: Basket) -> Decimal:
        """Unrounded: discounts are shared over the lines in proportion to their totals."""
        if basket.subtotal <= 0:
            return Decimal(0)
        factor = basket.merchandise / basket.subtotal
        return sum(
            (
                amount * factor * self.points_per_unit * self.category_multipliers.get(category, Decimal(1))
                for category, amount in basket.lines
            ),
            Decimal(0),
        )


@dataclass(frozen=True)
class Tier:
    tier_id: str
    name: str
    rank: int
    min_points: int = 0
    min_spend: Mapping[str, Decimal] = field(default_factory=dict)
    earn_multiplier: Decimal = Decimal(1)

    def qualifies(self, points: int, spend: Mapping[str, Decimal]) -> bool:
        if self.rank == 0 or (not self.min_points and not self.min_spend):
            return True
        if self.min_points and points >= self.min_points:
            return True
        return any(spend.get(c, Decimal(0)) >= need for c, need in self.min_spend.items())


@dataclass(frozen=True)
class Programme:
    programme_id: str
    name: str
    rules: tuple[EarningRule, ...]
    tiers: tuple[Tier, ...]  # by rank, entry tier first
    expiry_months: int = 0
    window_months: int = 12
    review_every_months: int = 12

    @property
    def entry_tier(self) -> Tier:
        return self.tiers[0]

    def tier(self, tier_id: str) -> Tier:
        for tier in self.tiers:
            if tier.tier_id == tier_id:
                return tier
        return self.entry_tier  # a tier removed from the configuration falls back to the entry tier

    def qualified_tier(self, points: int, spend: Mapping[str, Decimal]) -> Tier:
        return [t for t in self.tiers if t.qualifies(points, spend)][-1]

    def next_tier(self, current: Tier) -> Tier | None:
        higher = [t for t in self.tiers if t.rank > current.rank]
        return higher[0] if higher else None

    def points_for(self, basket: Basket, tier: Tier, at: datetime) -> tuple[int, list[str], list[str]]:
        """Points for a paid basket, and the base rules and promotions that gave them."""
        applied = [r for r in self.rules if r.applies(basket, at)]
        raw = sum((r.raw_points(basket) for r in applied), Decimal(0)) * tier.earn_multiplier
        points = int(raw.to_integral_value(rounding=ROUND_FLOOR))
        return (
            max(points, 0),
            [r.rule_id for r in applied if not r.promotion],
            [r.rule_id for r in applied if r.promotion],
        )


# --- configuration --------------------------------------------------------------------------------


def load(extra: Mapping[str, str]) -> Programme:
    """From the process' ``ISTHMUS_*`` variables (``Settings.extra``)."""
    inline = extra.get("ISTHMUS_LOYALTY_PROGRAMME", "").strip()
    path = extra.get("ISTHMUS_LOYALTY_PROGRAMME_FILE", "").strip()
    if inline and path:
        raise ConfigError("set ISTHMUS_LOYALTY_PROGRAMME or ISTHMUS_LOYALTY_PROGRAMME_FILE, not both")
    where = "ISTHMUS_LOYALTY_PROGRAMME"
    if path:
        where = f"ISTHMUS_LOYALTY_PROGRAMME_FILE ({path})"
        try:
            inline = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"{where}: cannot read: {exc.strerror}") from None
    if not inline:
        return parse(DEFAULT, "built-in programme")
    try:
        data = json.loads(inline)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{where} is not valid JSON ({exc.msg} at line {exc.lineno})") from None
    return parse(data, where)


def parse(data: Any, where: str) -> Programme:
    p = _Parser(where)
    if not isinstance(data, dict):
        raise ConfigError(f"{where} must be a JSON object")
    rules = tuple(p.rule(r, f"earning_rules[{i}]") for i, r in enumerate(p.list(data, "earning_rules")))
    tiers = tuple(
        sorted((p.tier(t, f"tiers[{i}]") for i, t in enumerate(p.list(data, "tiers"))), key=lambda t: t.rank)
    )
    if not tiers:
        raise ConfigError(f"{where}: tiers: at least one (the entry tier, rank 0)")
    if tiers[0].rank != 0 or len({t.rank for t in tiers}) != len(tiers):
        raise ConfigError(f"{where}: tiers: ranks must be unique and start at 0")
    if len({t.tier_id for t in tiers}) != len(tiers):
        raise ConfigError(f"{where}: tiers: tier_id must be unique")
    expiry = data.get("expiry") or {}
    policy = data.get("tier_policy") or {}
    return Programme(
        programme_id=p.text(data, "programme_id", "programme_id"),
        name=str(data.get("name", "")),
        rules=rules,
        tiers=tiers,
        expiry_months=p.count(expiry, "months_after_earning", "expiry.months_after_earning", 0),
        window_months=p.count(policy, "window_months", "tier_policy.window_months", 12) or 12,
        review_every_months=p.count(policy, "review_every_months", "tier_policy.review_every_months", 12)
        or 12,
    )


class _Parser:
    def __init__(self, where: str) -> None:
        self.where = where

    def fail(self, path: str, message: str) -> ConfigError:
        return ConfigError(f"{self.where}: {path}: {message}")

    def list(self, data: dict[str, Any], key: str) -> list[Any]:
        value = data.get(key, [])
        if not isinstance(value, list):
            raise self.fail(key, "must be a list")
        return value

    def text(self, data: dict[str, Any], key: str, path: str) -> str:
        value = data.get(key)
        if not isinstance(value, str) or not value:
            raise self.fail(path, "required text")
        return value

    def count(self, data: dict[str, Any], key: str, path: str, default: int) -> int:
        value = data.get(key, default)
        if not isinstance(value, int) or value < 0:
            raise self.fail(path, "must be a whole number >= 0")
        return value

    def decimal(self, value: Any, path: str) -> Decimal:
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise self.fail(path, f"not a decimal: {value!r}") from None
        if not number.is_finite() or number < 0:
            raise self.fail(path, "must be a decimal >= 0")
        return number

    def amount(self, value: Any, currency: str, path: str) -> Decimal:
        number = self.decimal(value, path)
        if number != number.quantize(quantum(currency)):
            raise self.fail(path, f"{value} has more decimals than {currency} allows")
        return number.quantize(quantum(currency))

    def currency(self, value: Any, path: str) -> str:
        if value not in MINOR_UNITS:
            raise self.fail(path, f"unknown ISO 4217 currency {value!r}")
        return str(value)

    def time(self, value: Any, path: str) -> datetime | None:
        if value in (None, ""):
            return None
        try:
            parsed = datetime.fromisoformat(str(value))
        except ValueError:
            raise self.fail(path, f"not an ISO 8601 time: {value!r}") from None
        if parsed.tzinfo is None:
            raise self.fail(path, "needs a time zone, e.g. 2026-12-01T00:00:00+00:00")
        return parsed

    def rule(self, r: Any, path: str) -> EarningRule:
        if not isinstance(r, dict):
            raise self.fail(path, "must be an object")
        multipliers = r.get("category_multipliers", {})
        if not isinstance(multipliers, dict):
            raise self.fail(f"{path}.category_multipliers", "must be an object")
        currency = self.currency(r.get("currency_code"), f"{path}.currency_code")
        minimum = r.get("minimum_order")
        return EarningRule(
            rule_id=self.text(r, "rule_id", f"{path}.rule_id"),
            currency=currency,
            points_per_unit=self.decimal(r.get("points_per_unit", "1"), f"{path}.points_per_unit"),
            description=str(r.get("description", "")),
            category_multipliers={
                str(k): self.decimal(v, f"{path}.category_multipliers.{k}") for k, v in multipliers.items()
            },
            minimum_order=None
            if minimum in (None, "")
            else self.amount(minimum, currency, f"{path}.minimum_order"),
            valid_from=self.time(r.get("valid_from"), f"{path}.valid_from"),
            valid_until=self.time(r.get("valid_until"), f"{path}.valid_until"),
            promotion=bool(r.get("promotion", False)),
        )

    def tier(self, t: Any, path: str) -> Tier:
        if not isinstance(t, dict):
            raise self.fail(path, "must be an object")
        spend = t.get("min_qualifying_spend", {})
        if not isinstance(spend, dict):
            raise self.fail(f"{path}.min_qualifying_spend", 'must be an object like {"EUR": "1000.00"}')
        return Tier(
            tier_id=self.text(t, "tier_id", f"{path}.tier_id"),
            name=str(t.get("name", t.get("tier_id"))),
            rank=self.count(t, "rank", f"{path}.rank", 0),
            min_points=self.count(t, "min_qualifying_points", f"{path}.min_qualifying_points", 0),
            min_spend={
                self.currency(c, f"{path}.min_qualifying_spend"): self.amount(
                    v, c, f"{path}.min_qualifying_spend.{c}"
                )
                for c, v in spend.items()
            },
            earn_multiplier=self.decimal(t.get("earn_multiplier", "1"), f"{path}.earn_multiplier"),
        )
