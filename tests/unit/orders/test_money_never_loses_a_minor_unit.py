"""Property: totals, discounts and refunds neither lose nor invent a minor unit, in 0, 2 and 3 decimals."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from isthmus.kernel.money import Money, allocate, minor_units
from isthmus.orders.domain import Actor, Adjustment, Kind, Line, Order, ReturnLine, State, line_nets

NOW = datetime(2026, 1, 1, tzinfo=UTC)
CURRENCIES = st.sampled_from(["JPY", "EUR", "KWD"])


@st.composite
def orders(draw: st.DrawFn) -> Order:
    currency = draw(CURRENCIES)
    n = draw(st.integers(1, 5))
    lines = [
        Line(
            str(i + 1),
            f"SKU{i}",
            "",
            draw(st.integers(1, 7)),
            Money.from_minor(draw(st.integers(0, 10**6)), currency),
        )
        for i in range(n)
    ]
    subtotal = sum(x.line_total.minor for x in lines)
    adjustments = []
    discount_left = subtotal
    line_left = {x.line_id: x.line_total.minor for x in lines}
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from([Kind.DISCOUNT, Kind.TAX, Kind.SHIPPING, Kind.FEE]))
        line_id = draw(st.sampled_from(["", *[x.line_id for x in lines]]))
        if kind is Kind.DISCOUNT:
            cap = min(discount_left, line_left[line_id]) if line_id else discount_left
            units = draw(st.integers(0, cap))
            discount_left -= units
            if line_id:
                line_left[line_id] -= units
        else:
            units = draw(st.integers(0, 10**5))
        adjustments.append(Adjustment(kind, Money.from_minor(units, currency), line_id=line_id))
    percent = draw(st.decimals(min_value=0, max_value=100, places=2))
    coupon = Money.from_minor(discount_left, currency).percent(percent)
    if coupon.minor <= discount_left:
        adjustments.append(Adjustment(Kind.DISCOUNT, coupon, coupon_code="C"))
    return Order("o", "s", "e", "c", 1, currency, lines, adjustments, NOW, NOW, state=State.SHIPPED)


@settings(max_examples=300, deadline=None)
@given(orders(), st.data())
def test_returns_in_any_steps_refund_exactly_the_goods_tax_and_discounts(
    order: Order, data: st.DataObject
) -> None:
    totals = order.totals
    assert totals.total.minor == (
        totals.subtotal.minor
        - totals.discount.minor
        + totals.tax.minor
        + totals.shipping.minor
        + totals.fees.minor
    )
    nets = line_nets(order.currency, order.lines, order.adjustments)
    assert (
        sum(n.minor for n in nets.values())
        == totals.subtotal.minor - totals.discount.minor + totals.tax.minor
    )
    assert all(n.minor >= 0 for n in nets.values())
    refunds = []
    step = 0
    while any(x.quantity - x.returned_quantity for x in order.lines):
        open_lines = [x for x in order.lines if x.quantity - x.returned_quantity]
        chosen = data.draw(
            st.lists(st.sampled_from(open_lines), min_size=1, max_size=3, unique_by=lambda x: x.line_id)
        )
        returns = [
            ReturnLine(x.line_id, data.draw(st.integers(1, x.quantity - x.returned_quantity)), "DAMAGED")
            for x in chosen
        ]
        exchange = data.draw(st.booleans()) if step else False
        result = order.return_lines(f"r{step}", returns, exchange, Actor(), NOW, NOW)
        assert result.refund.minor >= 0
        assert len(str(result.refund.amount).partition(".")[2]) == minor_units(order.currency)
        refunds.append(result.refund)
        step += 1
    exchanged_units = {x.line_id: 0 for x in order.lines}
    for r in order.returns:
        if r.exchange:
            for rl in r.lines:
                exchanged_units[rl.line_id] += rl.quantity
    if not any(exchanged_units.values()):
        # Everything came back for money: the refunds are the order total less shipping and fees, exactly.
        expected = totals.total.minor - totals.shipping.minor - totals.fees.minor
        assert sum(r.minor for r in refunds) == expected
    else:
        # Exchanged units are never refunded; every other unit is, within its line's net.
        assert 0 <= sum(r.minor for r in refunds) <= sum(n.minor for n in nets.values())
    assert order.refunded_total.minor == sum(r.minor for r in refunds)


@settings(max_examples=500, deadline=None)
@given(
    CURRENCIES,
    st.integers(-(10**9), 10**9),
    st.lists(st.integers(0, 10**6), min_size=1, max_size=20),
)
def test_allocation_parts_add_up_to_the_whole(currency: str, units: int, weights: list[int]) -> None:
    whole = Money.from_minor(units, currency)
    parts = allocate(whole, weights)
    assert sum(p.minor for p in parts) == units
    assert all(p.currency == currency for p in parts)
    if sum(weights) > 0:
        for part, weight in zip(parts, weights, strict=True):
            exact = abs(units) * weight / sum(weights)
            assert abs(abs(part.minor) - exact) < 1 + 1e-6
