"""Property: a flex-pay plan owes exactly the order's total, each line its net, in 0, 2 and 3 decimals;
returns take off unpaid instalments no more than they refund, and what is owed never goes negative."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from isthmus.kernel.money import Money, total
from isthmus.orders.domain import Actor, Order, ReturnLine, State, line_nets

from .test_money_never_loses_a_minor_unit import NOW, orders


@settings(max_examples=300, deadline=None)
@given(orders(), st.data())
def test_a_plan_owes_the_total_and_returns_never_take_off_more_than_they_refund(
    order: Order, data: st.DataObject
) -> None:
    c = order.currency
    for line in order.lines:
        line.instalments = data.draw(st.sampled_from([0, 1, 2, 3, 12, 24]))
    order.state = State.PLACED
    order.plan()
    totals = order.totals
    if not any(x.instalments > 1 for x in order.lines):
        assert order.instalments == [] and order.due_at_checkout == totals.total
        return
    assert total([i.amount(c) for i in order.instalments], c) == totals.total
    nets = line_nets(c, order.lines, order.adjustments)
    for line in order.lines:
        parts = [i.parts[line.line_id] for i in order.instalments if line.line_id in i.parts]
        assert total(parts, c) == nets[line.line_id]
        assert max(p.minor for p in parts) - min(p.minor for p in parts) <= 1  # evenly, to a minor unit
    assert order.instalments[0].due == NOW.date()
    months = [date(2026, 2, 1), date(2026, 3, 1)]
    assert [i.due for i in order.instalments[1:3]] == months[: len(order.instalments) - 1]

    order.pay(order.due_at_checkout, "p", NOW, NOW)
    paid_now = order.payment_figures(totals.total)[1]
    order.state = State.SHIPPED
    for _ in range(data.draw(st.integers(0, 4))):
        open_units = {x.line_id: x.quantity - x.returned_quantity for x in order.lines}
        choices = [k for k, v in open_units.items() if v > 0]
        if not choices:
            break
        line_id = data.draw(st.sampled_from(choices))
        quantity = data.draw(st.integers(1, open_units[line_id]))
        owed_before = order.payment_figures(totals.total)[2]
        back = order.return_lines("r", [ReturnLine(line_id, quantity, "DAMAGED")], False, Actor(), NOW, NOW)
        assert back.instalments_reduced is not None
        assert Money.zero(c) <= back.instalments_reduced <= back.refund
        owed = order.payment_figures(totals.total)[2]
        assert owed == owed_before - back.instalments_reduced and owed.minor >= 0
    # Paying the rest settles the order exactly, and only what checkout did not take was paid since.
    while (due := order.next_instalment()) is not None:
        order.pay_instalment(due.number, due.amount(c), "p", NOW, NOW)
    _, paid, owed = order.payment_figures(totals.total)
    assert owed.is_zero() and paid.minor >= paid_now.minor
