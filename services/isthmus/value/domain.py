"""What a customer is worth, from the facts the value context keeps. No I/O.

Amounts are whole minor units of the reporting currency. ``history`` sums a customer's paid orders
and service requests into the historical value; ``score`` (one customer) and ``score_population``
(many, as columns) add what the fitted models predict, the RFM scores, the tier and the churn risk.
``credit`` ranks how the customer pays: orders unpaid past their due date, payments failed or late.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import IntEnum

import numpy as np

from isthmus.value import models
from isthmus.value.models import Array, BoolArray, IntArray

DAY = 86400.0
WEEK_DAYS = 7.0


class Tier(IntEnum):
    UNSPECIFIED = 0
    A = 1
    B = 2
    C = 3


class Churn(IntEnum):
    NONE = 0
    LOW_ALIVE_PROBABILITY = 1
    OVERDUE = 2


class Payment(IntEnum):
    """Where an order's payment stands, as the order events told it."""

    PAID = 1
    UNPAID = 2  # placed, not paid yet (cancelled: no longer owed)
    FAILED = 3  # cancelled because the payment did not go through


class CreditRank(IntEnum):
    """Numbered as ``CreditRank`` in the API."""

    UNSPECIFIED = 0
    NEW = 1
    GOOD = 2
    FAIR = 3
    POOR = 4


@dataclass(frozen=True)
class OrderFact:
    order_id: str
    placed_at: datetime
    revenue: int  # net of tax
    cost: int
    refunded: int  # net of tax
    cost_returned: int
    cancelled: bool = False
    payment: Payment = Payment.PAID
    owed: int = 0  # still owed, tax included: the total until paid, then unpaid instalments
    due_at: datetime | None = None  # when what is owed is due (None: no due date known)
    settled_at: datetime | None = None  # when it was paid at checkout, or when the payment failed
    late_at: datetime | None = None  # the last payment made after its due date

    @property
    def net_revenue(self) -> int:
        return 0 if self.cancelled else self.revenue - self.refunded

    @property
    def net_cost(self) -> int:
        return 0 if self.cancelled else self.cost - self.cost_returned


@dataclass(frozen=True)
class CaseFact:
    opened_at: datetime
    cost: int


@dataclass(frozen=True)
class History:
    revenue: int = 0
    cost: int = 0
    service: int = 0
    historical: int = 0  # the margin's cash flows discounted to the first purchase
    orders: int = 0
    repeat_purchases: int = 0  # distinct purchase days after the first
    mean_repeat: int = 0  # mean net spend of those days
    mean_spend: int = 0  # mean net revenue per order
    first_purchase_at: datetime | None = None
    last_purchase_at: datetime | None = None

    @property
    def margin(self) -> int:
        return self.revenue - self.cost - self.service

    @property
    def margin_ratio(self) -> float:
        """Share of revenue left after the cost of goods (1 when orders carry no cost)."""
        if self.revenue <= 0:
            return 1.0
        return min(1.0, max(0.0, (self.revenue - self.cost) / self.revenue))


def history(orders: Sequence[OrderFact], cases: Sequence[CaseFact], yearly_rate: float) -> History:
    """Sums and the present value of a customer's orders and cases (``yearly_rate``: the discount).

    Every order's margin (revenue less cost of goods, net of its returns) and every case's cost is a
    cash flow at its date; each is discounted to the start of the relationship, the first purchase.
    """
    live = [o for o in orders if not o.cancelled and o.payment is Payment.PAID]
    flows = [(o.placed_at, o.net_revenue - o.net_cost) for o in live]
    flows += [(c.opened_at, -c.cost) for c in cases]
    if not flows:
        return History()
    start = min(o.placed_at for o in live) if live else min(t for t, _ in flows)
    present = 0.0
    for at, amount in flows:
        years = max(0.0, (at - start).total_seconds()) / (365.25 * DAY)
        present += amount / (1 + yearly_rate) ** years
    days: dict[date, int] = {}
    for o in sorted(live, key=lambda o: o.placed_at):
        day = o.placed_at.date()
        days[day] = days.get(day, 0) + o.net_revenue
    repeats = list(days.values())[1:]
    return History(
        revenue=sum(o.net_revenue for o in live),
        cost=sum(o.net_cost for o in live),
        service=sum(c.cost for c in cases),
        historical=round(present),
        orders=len(live),
        repeat_purchases=len(repeats),
        mean_repeat=round(sum(repeats) / len(repeats)) if repeats else 0,
        mean_spend=round(sum(o.net_revenue for o in live) / len(live)) if live else 0,
        first_purchase_at=min((o.placed_at for o in live), default=None),
        last_purchase_at=max((o.placed_at for o in live), default=None),
    )


@dataclass(frozen=True)
class Model:
    """A refit's result: the fitted models and the population's cut-offs (amounts in minor units)."""

    model_id: str
    fitted_at: datetime
    customers: int = 0
    bgnbd: models.BgNbd | None = None
    gamma_gamma: models.GammaGamma | None = None
    tier_a_from: int | None = None
    tier_b_from: int | None = None
    recency: tuple[float, ...] = ()  # days since the last purchase: 4 ascending quintile boundaries
    frequency: tuple[float, ...] = ()  # orders
    monetary: tuple[float, ...] = ()  # mean spend per order, currency units
    fit_seconds: float = 0.0


@dataclass(frozen=True)
class Settings:
    yearly_rate: float = 0.10
    horizon_months: int = 12
    churn_alive_below: float = 0.5
    churn_overdue_factor: float = 2.0
    minor_per_unit: int = 100  # minor units per currency unit: the models see currency units


@dataclass(frozen=True)
class Score:
    predicted: int = 0
    expected_purchases: float = 0.0
    alive_probability: float = 1.0
    expected_spend: int = 0
    lifetime: int = 0
    tier: Tier = Tier.UNSPECIFIED
    rfm: tuple[int, int, int] = (0, 0, 0)
    churn: Churn = Churn.NONE
    model_id: str = ""


def weeks(h: History, now: datetime) -> tuple[float, float, float]:
    """(x, t_x, T) of the BG/NBD model, in weeks."""
    if h.first_purchase_at is None or h.last_purchase_at is None:
        return 0.0, 0.0, 0.0
    first = h.first_purchase_at
    t_x = max(0.0, (h.last_purchase_at - first).total_seconds()) / DAY / WEEK_DAYS
    big_t = max(t_x, (now - first).total_seconds() / DAY / WEEK_DAYS)
    return float(h.repeat_purchases), t_x, big_t


def tier_of(lifetime: int, model: Model | None) -> Tier:
    if model is None or model.tier_a_from is None or model.tier_b_from is None:
        return Tier.UNSPECIFIED
    if lifetime >= model.tier_a_from:
        return Tier.A
    if lifetime >= model.tier_b_from:
        return Tier.B
    return Tier.C


@dataclass
class Population:
    """Many customers' histories as columns, so that a refit scores a million of them at once."""

    x: Array  # repeat purchase days
    t_x: Array  # weeks from the first to the last purchase
    big_t: Array  # weeks from the first purchase to now
    mean_repeat: Array  # currency units
    mean_spend: Array  # minor units
    margin_ratio: Array
    historical: Array  # minor units
    orders: Array
    days_since: Array  # days since the last purchase
    bought: BoolArray  # has a purchase at all

    @classmethod
    def of(cls, histories: Sequence[History], now: datetime, minor_per_unit: int) -> Population:
        rows = [weeks(h, now) for h in histories]

        def col(values: Iterable[float]) -> Array:
            return np.fromiter(values, dtype=np.float64, count=len(histories))

        return cls(
            x=col(r[0] for r in rows),
            t_x=col(r[1] for r in rows),
            big_t=col(r[2] for r in rows),
            mean_repeat=col(h.mean_repeat / minor_per_unit for h in histories),
            mean_spend=col(h.mean_spend for h in histories),
            margin_ratio=col(h.margin_ratio for h in histories),
            historical=col(h.historical for h in histories),
            orders=col(h.orders for h in histories),
            days_since=col(
                (now - h.last_purchase_at).total_seconds() / DAY if h.last_purchase_at else 0.0
                for h in histories
            ),
            bought=np.array([h.first_purchase_at is not None for h in histories], dtype=bool),
        )


@dataclass
class Scores:
    predicted: Array
    expected_purchases: Array
    alive: Array
    expected_spend: Array
    lifetime: Array
    rfm: IntArray  # n x 3
    churn: IntArray


def score_population(p: Population, model: Model | None, s: Settings) -> Scores:
    """Predicted value, alive probability, lifetime value, RFM and churn of every customer in ``p``."""
    n = len(p.x)
    predicted = np.zeros(n)
    purchases = np.zeros(n)
    alive = np.ones(n)
    spend = np.maximum(p.mean_spend, 0.0)
    fitted = model is not None and model.bgnbd is not None
    if model is not None and model.bgnbd is not None:
        with np.errstate(all="ignore"):
            alive = models.alive_probability(model.bgnbd, p.x, p.t_x, p.big_t)
            horizon = s.horizon_months * models.WEEKS_PER_MONTH
            purchases = models.expected_purchases(model.bgnbd, horizon, p.x, p.t_x, p.big_t)
            discounted = models.discounted_purchases(
                model.bgnbd, s.horizon_months, s.yearly_rate, p.x, p.t_x, p.big_t
            )
            if model.gamma_gamma is not None:
                unit = s.minor_per_unit
                spend = np.maximum(models.expected_spend(model.gamma_gamma, p.x, p.mean_repeat) * unit, 0.0)
            predicted = discounted * spend * p.margin_ratio
        bad = ~(np.isfinite(alive) & np.isfinite(purchases) & np.isfinite(predicted)) | ~p.bought
        alive = np.where(bad, 1.0, alive)
        purchases = np.where(bad, 0.0, purchases)
        predicted = np.where(bad, 0.0, predicted)
        spend = np.where(np.isfinite(spend), spend, 0.0)
    predicted = np.rint(predicted)
    lifetime = lifetime_value(p.historical, predicted, p.big_t, s.yearly_rate)
    rfm = np.zeros((n, 3), dtype=np.int64)
    if model is not None and len(model.recency) == 4:
        unit = s.minor_per_unit
        rfm[:, 0] = 5 - np.searchsorted(np.asarray(model.recency), p.days_since, side="left")
        rfm[:, 1] = 1 + np.searchsorted(np.asarray(model.frequency), p.orders, side="left")
        rfm[:, 2] = 1 + np.searchsorted(np.asarray(model.monetary), p.mean_spend / unit, side="left")
        rfm[~p.bought] = 0
    # Overdue: longer since the last purchase than the factor times the customer's own mean gap.
    with np.errstate(divide="ignore", invalid="ignore"):
        gap_days = np.where(p.x > 0, p.t_x * WEEK_DAYS / np.where(p.x > 0, p.x, 1.0), 0.0)
    overdue = (gap_days > 0) & (p.days_since > s.churn_overdue_factor * gap_days)
    churn = np.where(overdue, int(Churn.OVERDUE), int(Churn.NONE))
    if fitted:
        churn = np.where(alive < s.churn_alive_below, int(Churn.LOW_ALIVE_PROBABILITY), churn)
    churn = np.where(p.bought, churn, int(Churn.NONE))
    return Scores(predicted, purchases, alive, np.rint(spend), lifetime, rfm, churn)


def lifetime_value(historical: Array, predicted: Array, big_t: Array, yearly_rate: float) -> Array:
    """The relationship's net present value at one date, now: the historical value (its cash flows
    discounted to the first purchase) brought forward from the first purchase to now at the same
    rate, which is each past cash flow compounded from its date to now, plus the predicted value
    (the expected cash flows discounted to now). ``big_t``: weeks from the first purchase to now."""
    years = big_t * WEEK_DAYS / 365.25
    return np.rint(historical * (1 + yearly_rate) ** years) + predicted


def score(h: History, model: Model | None, s: Settings, now: datetime) -> Score:
    """One customer's predicted value, RFM, tier and churn risk under ``model`` at ``now``."""
    one = score_population(Population.of([h], now, s.minor_per_unit), model, s)
    lifetime = int(one.lifetime[0])
    return Score(
        predicted=int(one.predicted[0]),
        expected_purchases=float(one.expected_purchases[0]),
        alive_probability=float(one.alive[0]),
        expected_spend=int(one.expected_spend[0]),
        lifetime=lifetime,
        tier=tier_of(lifetime, model),
        rfm=(int(one.rfm[0, 0]), int(one.rfm[0, 1]), int(one.rfm[0, 2])),
        churn=Churn(int(one.churn[0])),
        model_id=model.model_id if model is not None else "",
    )


def quintiles(values: Array) -> tuple[float, ...]:
    """The 20/40/60/80 % boundaries of ``values`` (empty when there are none)."""
    if len(values) == 0:
        return ()
    return tuple(float(v) for v in np.quantile(values, [0.2, 0.4, 0.6, 0.8]))


def tier_thresholds(lifetimes: Array, a_share: float, b_share: float) -> tuple[int, int] | None:
    """The lifetime values from which a customer is A and B. Ranked best first, A are the customers
    who together make the first ``a_share`` of all positive value (the one who crosses it included),
    B those up to ``b_share``; C the rest."""
    ranked = np.sort(np.asarray(lifetimes, dtype=np.float64)[np.asarray(lifetimes) > 0])[::-1]
    total = float(ranked.sum()) if len(ranked) else 0.0
    if total <= 0:
        return None
    before = (np.cumsum(ranked) - ranked) / total  # share of value of the customers ranked above
    a_from = int(ranked[before < a_share][-1])
    b_from = int(ranked[before < b_share][-1])
    return a_from, min(a_from, b_from)


# --- credit ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CreditSettings:
    due_days: int = 14  # an order is due this many days after the hub learned of it
    window_days: int = 365  # failures and late payments count this long
    good_after: int = 2  # paid orders before a customer with nothing against them is GOOD


@dataclass(frozen=True)
class Credit:
    """A customer's credit rank and the payment record it rests on (amounts: minor units)."""

    rank: CreditRank = CreditRank.UNSPECIFIED
    outstanding: int = 0  # placed, neither paid nor cancelled
    overdue: int = 0  # the part of it past its due date
    overdue_orders: int = 0
    oldest_due: datetime | None = None  # the earliest due date of the overdue orders
    failures: int = 0  # payments failed within the window
    late: int = 0  # orders paid after their due date, within the window
    paid: int = 0  # orders paid and not cancelled, ever
    good_after: int = 0  # the paid orders GOOD asks for (what NEW lacks)
    window_days: int = 0  # how long failures and late payments count
    review_at: datetime | None = None  # when time alone changes this: a due date, a strike's expiry


def credit(orders: Sequence[OrderFact], now: datetime, s: CreditSettings) -> Credit:
    """How safely the customer can be sold to on credit, from how their orders were paid, at ``now``.

    POOR: something owed past its due date (an order not paid at checkout, a flex-pay instalment), or
    two strikes (a payment failed, a payment made late) within the window. FAIR: one strike. GOOD:
    ``good_after`` orders paid and nothing against the customer. NEW: fewer paid orders, nothing
    against. UNSPECIFIED: no order at all. ``review_at`` is the next moment at which the same facts
    rank differently (something owed falls due, a strike leaves the window), so that a stored rank
    is worked out again then.
    """
    if not orders:
        return Credit()
    window = timedelta(days=s.window_days)
    since = now - window
    outstanding = overdue = overdue_orders = failures = late = paid = 0
    oldest: datetime | None = None
    later: list[datetime] = []
    for o in orders:
        if o.payment is Payment.FAILED:
            at = o.settled_at or o.placed_at
            if at > since:
                failures += 1
                later.append(at + window)
            continue
        if o.payment is Payment.PAID and not o.cancelled:
            paid += 1
        if o.late_at is not None and o.late_at > since:
            late += 1
            later.append(o.late_at + window)
        if o.cancelled or o.owed <= 0:
            continue
        outstanding += o.owed
        if o.due_at is not None and o.due_at <= now:
            overdue += o.owed
            overdue_orders += 1
            oldest = o.due_at if oldest is None else min(oldest, o.due_at)
        elif o.due_at is not None:
            later.append(o.due_at)
    strikes = failures + late
    if overdue_orders or strikes >= 2:
        rank = CreditRank.POOR
    elif strikes:
        rank = CreditRank.FAIR
    elif paid >= s.good_after:
        rank = CreditRank.GOOD
    else:
        rank = CreditRank.NEW
    review_at = min(later, default=None)
    return Credit(
        rank,
        outstanding,
        overdue,
        overdue_orders,
        oldest,
        failures,
        late,
        paid,
        s.good_after,
        s.window_days,
        review_at,
    )
