"""The programme's earning arithmetic and configuration errors; the ledger's FIFO lots and debt."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from isthmus.kernel.errors import FailedPrecondition
from isthmus.kernel.timestamps import add_months
from isthmus.loyalty.domain import Account, EntryKind, proportion
from isthmus.loyalty.programme import DEFAULT, Basket, load, parse
from isthmus.platform.config import ConfigError

T0 = datetime(2026, 1, 31, tzinfo=UTC)
RULES = {
    "programme_id": "p",
    "earning_rules": [
        {"rule_id": "base", "currency_code": "EUR", "points_per_unit": "2",
         "category_multipliers": {"tv": "3"}, "minimum_order": "10.00"},
        {"rule_id": "promo", "currency_code": "EUR", "points_per_unit": "1", "promotion": True,
         "valid_from": "2026-02-01T00:00:00+00:00", "valid_until": "2026-03-01T00:00:00+00:00"},
    ],
    "tiers": [
        {"tier_id": "m", "rank": 0},
        {"tier_id": "s", "rank": 1, "min_qualifying_points": 100, "min_qualifying_spend": {"KWD": "50.000"},
         "earn_multiplier": "1.5"},
    ],
}  # fmt: skip


def test_points_use_category_multipliers_discount_share_promotions_and_tier_multiplier() -> None:
    programme = parse(RULES, "test")
    basket = Basket(
        "EUR", [("tv", Decimal("100.00")), ("misc", Decimal("50.00"))], Decimal("150.00"), Decimal("15.00")
    )
    # Discount 10 %: base 2 x (300 + 50) x 0.9 = 630; no promotion in January.
    assert programme.points_for(basket, programme.entry_tier, T0) == (630, ["base"], [])
    # February: + 1 x 150 x 0.9 = 135; silver x 1.5 -> 1147.5 -> 1147 (rounded down).
    silver = programme.tier("s")
    assert programme.points_for(basket, silver, T0 + timedelta(days=1)) == (1147, ["base"], ["promo"])
    small = Basket("EUR", [("misc", Decimal("9.99"))], Decimal("9.99"), Decimal("0"))
    assert programme.points_for(small, programme.entry_tier, T0)[0] == 0, "below the minimum order"
    assert (
        programme.points_for(Basket("USD", [("tv", Decimal(5))], Decimal(5), Decimal(0)), silver, T0)[0] == 0
    )


def test_tiers_qualify_by_points_or_spend() -> None:
    programme = parse(RULES, "test")
    assert programme.qualified_tier(99, {}).tier_id == "m"
    assert programme.qualified_tier(100, {}).tier_id == "s"
    assert programme.qualified_tier(0, {"KWD": Decimal("50.000")}).tier_id == "s"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"tiers": []}, "tiers: at least one"),
        ({"earning_rules": [{"rule_id": "x", "currency_code": "XXX"}]}, "earning_rules[0].currency_code"),
        (
            {"earning_rules": [{"rule_id": "x", "currency_code": "EUR", "points_per_unit": "a"}]},
            "points_per_unit",
        ),
        (
            {"earning_rules": [{"rule_id": "x", "currency_code": "EUR", "valid_from": "2026-01-01"}]},
            "time zone",
        ),
        ({"tiers": [{"tier_id": "m", "rank": 1}]}, "start at 0"),
    ],
)
def test_configuration_mistakes_name_the_path(change: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse({**RULES, **change}, "ISTHMUS_LOYALTY_PROGRAMME")


def test_the_programme_comes_from_the_environment_or_the_default(tmp_path) -> None:
    assert load({}).programme_id == DEFAULT["programme_id"]
    path = tmp_path / "p.json"
    path.write_text('{"programme_id": "file", "tiers": [{"tier_id": "m", "rank": 0}]}')
    assert load({"ISTHMUS_LOYALTY_PROGRAMME_FILE": str(path)}).programme_id == "file"
    with pytest.raises(ConfigError, match="not valid JSON"):
        load({"ISTHMUS_LOYALTY_PROGRAMME": "{"})


def account() -> Account:
    return Account("a", "c", "p", "m", T0, T0, T0)


def test_spending_and_expiry_take_the_soonest_to_expire_points_first() -> None:
    a = account()
    first = a.credit(EntryKind.EARN, 100, T0, add_months(T0, 12))[0]
    a.credit(EntryKind.EARN, 50, T0, add_months(T0, 6))
    a.credit(EntryKind.EARN, 30, T0, None)
    spent = a.debit(EntryKind.REDEEM, 70, T0)
    assert spent.points == -70 and a.balance == 110
    assert [x.remaining for x in a.lots] == [80, 0, 30], "the 6-month lot went first"
    assert a.expire(add_months(T0, 12)).points == -80
    assert a.expire(add_months(T0, 12)) is None
    assert a.balance == 30 == sum(x.remaining for x in a.lots)
    assert first.expires_at == datetime(2027, 1, 31, tzinfo=UTC)
    with pytest.raises(FailedPrecondition, match="30 points available"):
        a.debit(EntryKind.REDEEM, 31, T0)


def test_a_claw_back_beyond_the_balance_becomes_debt_paid_from_later_credits() -> None:
    a = account()
    a.credit(EntryKind.EARN, 40, T0, None)
    entry = a.claw_back(100, T0)
    assert (entry.points, entry.balance_after, entry.debt_after) == (-40, 0, 60)
    entries = a.credit(EntryKind.EARN, 25, T0, None)
    assert [e.kind for e in entries] == [EntryKind.EARN, EntryKind.DEBT_SETTLED]
    assert (a.balance, a.debt) == (0, 35)
    a.credit(EntryKind.ADJUST, 50, T0, None)
    assert (a.balance, a.debt) == (15, 0)
    assert sum(e.points for e in a.pending) == a.balance == sum(x.remaining for x in a.lots)


def test_month_arithmetic_clamps_to_the_end_of_the_month_and_proportions_round_half_up() -> None:
    assert add_months(T0, 1) == datetime(2026, 2, 28, tzinfo=UTC)
    assert add_months(T0, -2) == datetime(2025, 11, 30, tzinfo=UTC)
    assert proportion(1015, Decimal("2.98"), Decimal("488.85")) == 6
    assert proportion(3, Decimal(1), Decimal(2)) == 2
    assert proportion(10, Decimal(5), Decimal(5)) == 10
