"""Credit ranks from hand-made payment records: what counts against a customer, for how long, and
when time alone changes the rank."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from isthmus.value import codec, domain
from isthmus.value.domain import Credit, CreditRank, CreditSettings, OrderFact, Payment

NOW = datetime(2026, 6, 1, tzinfo=UTC)
DAY = timedelta(days=1)
SETTINGS = CreditSettings(due_days=14, window_days=365, good_after=2)


def paid(days_ago: float, *, late_by: float | None = None, cancelled: bool = False) -> OrderFact:
    placed = NOW - days_ago * DAY
    due = placed + 14 * DAY
    settled = due + late_by * DAY if late_by is not None else placed + DAY
    return OrderFact(
        f"p{days_ago}",
        placed,
        1000,
        0,
        0,
        0,
        cancelled,
        Payment.PAID,
        0,
        due,
        settled,
        settled if late_by is not None and late_by > 0 else None,
    )


def unpaid(days_ago: float, amount: int = 1200, *, cancelled: bool = False) -> OrderFact:
    placed = NOW - days_ago * DAY
    return OrderFact(f"u{days_ago}", placed, 0, 0, 0, 0, cancelled, Payment.UNPAID, amount, placed + 14 * DAY)


def failed(days_ago: float) -> OrderFact:
    at = NOW - days_ago * DAY
    return OrderFact(f"f{days_ago}", at, 0, 0, 0, 0, True, Payment.FAILED, 1200, at + 14 * DAY, at)


def rank(*orders: OrderFact) -> Credit:
    return domain.credit(orders, NOW, SETTINGS)


def test_no_order_is_no_rank_and_paid_orders_make_a_customer_good() -> None:
    assert rank() == Credit()
    assert rank(paid(30)).rank is CreditRank.NEW
    good = rank(paid(30), paid(10))
    assert (good.rank, good.paid, good.review_at) == (CreditRank.GOOD, 2, None)
    # An order paid and then cancelled (refunded) is not a paid order.
    assert rank(paid(30), paid(10, cancelled=True)).rank is CreditRank.NEW


def test_an_order_unpaid_past_its_due_date_is_poor_whatever_else_was_paid() -> None:
    owing = rank(paid(90), paid(60), unpaid(5, 3000), unpaid(20, 1200), unpaid(40, 500))
    assert owing.rank is CreditRank.POOR
    assert (owing.outstanding, owing.overdue, owing.overdue_orders) == (4700, 1700, 2)
    assert owing.oldest_due == NOW - 26 * DAY
    # The order not yet due falls due in 9 days: the rank is worked out again then.
    assert owing.review_at == NOW + 9 * DAY
    not_yet = rank(paid(90), paid(60), unpaid(13))
    assert (not_yet.rank, not_yet.outstanding, not_yet.overdue) == (CreditRank.GOOD, 1200, 0)
    assert not_yet.review_at == NOW + DAY
    # Cancelled before it was paid, for any reason but a failed payment, an order is owed no more.
    assert rank(paid(90), paid(60), unpaid(40, cancelled=True)).rank is CreditRank.GOOD


def test_one_strike_is_fair_two_are_poor_and_each_counts_for_the_window() -> None:
    failure = rank(paid(90), paid(60), failed(100))
    assert (failure.rank, failure.failures) == (CreditRank.FAIR, 1)
    assert failure.review_at == NOW - 100 * DAY + 365 * DAY
    late = rank(paid(90), paid(60, late_by=3))
    assert (late.rank, late.late) == (CreditRank.FAIR, 1)
    assert rank(paid(90, late_by=1), failed(10)).rank is CreditRank.POOR
    assert rank(failed(200), failed(10)).rank is CreditRank.POOR
    # Out of the window, a strike no longer counts.
    old = rank(paid(500, late_by=1), failed(400), paid(90), paid(60))
    assert (old.rank, old.failures, old.late, old.review_at) == (CreditRank.GOOD, 0, 0, None)
    # Paid on its due date is on time.
    assert rank(paid(90, late_by=0), paid(60)).rank is CreditRank.GOOD


def test_unpaid_orders_and_failed_payments_are_no_revenue() -> None:
    h = domain.history([paid(90), unpaid(40), failed(10)], [], 0.0)
    assert (h.revenue, h.orders) == (1000, 1)
    assert h.first_purchase_at == h.last_purchase_at == NOW - 90 * DAY


def test_the_reasons_say_why_worst_first() -> None:
    c = rank(paid(90), unpaid(20, 1200), unpaid(40, 500), failed(10), paid(60, late_by=2))
    row = {"credit_rank": int(c.rank), "credit": codec.credit_json(c, NOW)}
    message = codec.credit_message(row, "EUR")
    assert list(message.reasons) == [
        "2 orders with EUR 17.00 overdue, the first since 2026-05-06",
        "1 payment failed in the last 365 days",
        "1 order paid after its due date in the last 365 days",
    ]
    assert (message.outstanding.amount, message.overdue.amount) == ("17.00", "17.00")
    assert message.as_of_time.ToDatetime(tzinfo=UTC) == NOW
    new = rank(paid(30))
    assert list(
        codec.credit_message({"credit_rank": 1, "credit": codec.credit_json(new, NOW)}, "EUR").reasons
    ) == ["1 order paid of the 2 a GOOD rank asks for"]
    # A row stored before credit ranking: no rank, no reasons.
    assert codec.credit_message({"credit_rank": 0, "credit": "{}"}, "EUR").reasons == []


def test_flex_pay_instalments_owed_fall_due_and_a_late_one_is_a_strike() -> None:
    placed = NOW - 40 * DAY
    owing = OrderFact("i", placed, 1000, 0, 0, 0, False, Payment.PAID, 800, NOW + 5 * DAY, placed)
    c = rank(paid(90), paid(60), owing)
    assert (c.rank, c.outstanding, c.overdue, c.paid, c.review_at) == (
        CreditRank.GOOD,
        800,
        0,
        3,
        NOW + 5 * DAY,
    )
    overdue = OrderFact("i", placed, 1000, 0, 0, 0, False, Payment.PAID, 800, NOW - DAY, placed)
    assert rank(paid(90), paid(60), overdue).rank is CreditRank.POOR
    late = OrderFact(
        "i", placed, 1000, 0, 0, 0, False, Payment.PAID, 400, NOW + 20 * DAY, placed, NOW - 2 * DAY
    )
    assert (rank(paid(90), paid(60), late).rank, rank(paid(90), paid(60), late).late) == (CreditRank.FAIR, 1)
    # Cancelled, an order owes nothing more.
    gone = OrderFact("i", placed, 1000, 0, 0, 0, True, Payment.PAID, 800, NOW - DAY, placed)
    assert rank(paid(90), paid(60), gone).rank is CreditRank.GOOD
