"""Historical value, tiers, RFM and churn, on hand-made histories."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from isthmus.value import domain, models
from isthmus.value.domain import CaseFact, Churn, OrderFact, Tier

START = datetime(2026, 1, 1, tzinfo=UTC)


def order(
    days: float, revenue: int, *, cost: int = 0, refunded: int = 0, cancelled: bool = False
) -> OrderFact:
    return OrderFact(f"o{days}", START + timedelta(days=days), revenue, cost, refunded, 0, cancelled)


def test_historical_value_nets_returns_cancellations_cost_of_goods_and_cost_to_serve() -> None:
    h = domain.history(
        [order(0, 10000, cost=4000), order(10, 5000, refunded=2000), order(20, 9999, cancelled=True)],
        [CaseFact(START + timedelta(days=5), 2500)],
        0.0,
    )
    assert (h.revenue, h.cost, h.service) == (13000, 4000, 2500)
    assert h.margin == 6500
    assert h.historical == 6500  # no discount at rate 0
    assert h.orders == 2 and h.repeat_purchases == 1 and h.mean_repeat == 3000


def test_later_cash_is_discounted_to_the_first_purchase() -> None:
    h = domain.history([order(0, 10000), order(365.25, 11000)], [], 0.10)
    assert h.historical == 20000  # 10000 + 11000 / 1.1


def test_lifetime_value_is_the_relationship_s_value_at_one_date_now() -> None:
    # Two customers whose only order left the same margin: three years ago, and today. Valued now,
    # the older euro counts 1.1 ** 3 (it has been the company's for three years), as each future euro
    # counts less the later it comes; the sum of both is the relationship's value today.
    now = START + timedelta(days=3 * 365.25)
    old = domain.score(domain.history([order(0, 10000)], [], 0.1), None, domain.Settings(), now)
    new = domain.score(domain.history([order(3 * 365.25, 10000)], [], 0.1), None, domain.Settings(), now)
    assert (old.lifetime, new.lifetime) == (13310, 10000)
    # Flows at two dates: brought forward as one sum, each is compounded from its own date.
    two = domain.history([order(0, 10000), order(365.25, 11000)], [], 0.1)
    assert two.historical == 20000
    valued = domain.score(two, None, domain.Settings(), now)
    assert valued.lifetime == round(10000 * 1.1**3 + 11000 * 1.1**2) == 26620


def test_purchases_on_one_day_count_as_one_purchase() -> None:
    h = domain.history([order(0, 100), order(0.1, 100), order(3, 100)], [], 0.0)
    assert h.repeat_purchases == 1 and h.orders == 3


def test_tier_thresholds_cut_by_share_of_value() -> None:
    values = np.array([5000, 3000, 1000, 500, 300, 200, 0, -50], dtype=np.float64)
    a_from, b_from = domain.tier_thresholds(values, 0.8, 0.95) or (0, 0)
    # 5000 (50 %), 3000 (to 80 %): A. 1000 crosses 90 %, 500 crosses 95 %: B. The rest: C.
    assert (a_from, b_from) == (3000, 500)
    model = domain.Model("m", START, tier_a_from=a_from, tier_b_from=b_from)
    assert [domain.tier_of(v, model) for v in (5000, 3000, 1000, 500, 300, -50)] == [
        Tier.A, Tier.A, Tier.B, Tier.B, Tier.C, Tier.C
    ]  # fmt: skip
    assert domain.tier_of(5000, None) == Tier.UNSPECIFIED
    assert domain.tier_thresholds(np.array([0.0, -1.0]), 0.8, 0.95) is None


def test_score_predicts_value_and_scores_rfm_and_churn_with_a_model() -> None:
    model = domain.Model(
        "m",
        START,
        bgnbd=models.BgNbd(0.243, 4.414, 0.793, 2.426),
        gamma_gamma=models.GammaGamma(6.25, 3.74, 15.44),
        tier_a_from=50000,
        tier_b_from=10000,
        recency=(10, 30, 60, 120),
        frequency=(1, 2, 3, 5),
        monetary=(20, 40, 60, 100),
    )
    s = domain.Settings()
    loyal = domain.history([order(d, 5000) for d in range(0, 200, 10)], [], 0.1)
    now = START + timedelta(days=195)
    scored = domain.score(loyal, model, s, now)
    assert scored.predicted > 0 and scored.expected_purchases > 1
    assert scored.alive_probability > 0.9 and scored.churn == Churn.NONE
    assert scored.rfm == (5, 5, 3)
    # The past brought forward from the first purchase to now (195 days at 10 %), the future as predicted.
    assert scored.lifetime == round(loyal.historical * 1.1 ** (195 / 365.25)) + scored.predicted
    assert scored.tier == Tier.A
    # The same customer a year after their last purchase: probably gone.
    later = domain.score(loyal, model, s, now + timedelta(days=365))
    assert later.alive_probability < 0.5 and later.churn == Churn.LOW_ALIVE_PROBABILITY
    assert later.predicted < scored.predicted and later.rfm[0] == 1


def test_overdue_on_their_own_rhythm_is_churn_risk_even_without_a_model() -> None:
    weekly = domain.history([order(d, 1000) for d in (0, 7, 14, 21)], [], 0.0)
    s = domain.Settings(churn_overdue_factor=2.0)
    assert domain.score(weekly, None, s, START + timedelta(days=30)).churn == Churn.NONE
    assert domain.score(weekly, None, s, START + timedelta(days=40)).churn == Churn.OVERDUE
    once = domain.history([order(0, 1000)], [], 0.0)
    assert domain.score(once, None, s, START + timedelta(days=400)).churn == Churn.NONE


def test_a_customer_without_purchases_has_no_prediction() -> None:
    only_cases = domain.history([], [CaseFact(START, 2500)], 0.1)
    assert only_cases.historical == -2500
    model = domain.Model("m", START, bgnbd=models.BgNbd(0.243, 4.414, 0.793, 2.426))
    scored = domain.score(only_cases, model, domain.Settings(), START)
    assert scored.predicted == 0 and scored.alive_probability == 1.0 and scored.rfm == (0, 0, 0)


def test_population_scores_equal_one_by_one_scores() -> None:
    model = domain.Model("m", START, bgnbd=models.BgNbd(0.5, 5, 0.8, 2.5), tier_a_from=1, tier_b_from=0)
    histories = [
        domain.history([order(d, 1000 + d) for d in range(0, k * 7, 7)], [], 0.1) for k in range(1, 6)
    ]
    now = START + timedelta(days=60)
    s = domain.Settings()
    many = domain.score_population(domain.Population.of(histories, now, 100), model, s)
    for i, h in enumerate(histories):
        one = domain.score(h, model, s, now)
        assert one.predicted == int(many.predicted[i])
        assert one.alive_probability == pytest.approx(float(many.alive[i]))
