"""Orders taken without a final price: the price set later, and what follows from it."""

from __future__ import annotations

from dataclasses import replace

from isthmus.orders import codec
from isthmus.orders.commands import SetFinalPrices
from isthmus.orders.domain import Order, check_discounts
from isthmus.orders.handlers import Uow, load, record_history
from isthmus_client.api.events.v1 import orders_pb2 as events
from isthmus_client.api.orders.v1 import order_pb2


async def set_final_prices(cmd: SetFinalPrices, uow: Uow) -> Order:
    order = await load(uow, cmd.order_id)
    order.check("set the final prices of", cmd.expected_version)
    read_version, now = order.version, uow.clock()
    changed = order.set_final_prices(cmd.lines)
    await _coupons_again(order, uow)
    check_discounts(order.currency, order.lines, order.adjustments)
    order.plan()
    order.touch(now)
    message = await uow.orders.save(order, read_version)
    lines = [codec.line(x) for x in changed]
    await record_history(
        uow,
        order,
        order_pb2.ORDER_HISTORY_KIND_REPRICED,
        order.state,
        now,
        cmd.actor,
        reason_text=cmd.reason,
        lines=lines,
    )
    await uow.emit(events.OrderRepriced(order=message, lines=lines, reason=cmd.reason), order)
    return order


async def _coupons_again(order: Order, uow: Uow) -> None:
    """The coupons' discounts worked out on the final prices, in the order they were redeemed (each on
    what the ones before left): a percentage of the new subtotal, a fixed amount up to it. Whether a
    coupon may be used was decided when the order was taken; it is not asked again."""
    redeemed = {a.coupon_code: a for a in order.adjustments if a.coupon_code}
    if not redeemed:
        return
    order.adjustments = [a for a in order.adjustments if not a.coupon_code]
    for code in order.coupon_codes:
        coupon = await uow.coupons.get(code)
        earlier = redeemed[code]
        if coupon is None:  # a coupon cannot be deleted; kept as granted should it ever be
            order.adjustments.append(earlier)
            continue
        totals = order.totals
        base = totals.subtotal - totals.discount
        if coupon.percent_off is not None:
            amount = base.percent(coupon.percent_off)
        else:
            assert coupon.amount_off is not None, "a coupon is a percentage or an amount"
            amount = min(coupon.amount_off, base)
        order.adjustments.append(replace(earlier, amount=amount))
