"""OrderService: request messages in, commands to the handlers, messages out. Validation only."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any, TypeVar

import grpc
from google.protobuf.message import Message
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from isthmus.kernel.enums import label
from isthmus.kernel.errors import Conflict, DomainError, InvalidArgument
from isthmus.kernel.idempotency import APPLIED, outcome
from isthmus.kernel.ids import is_uuid
from isthmus.kernel.money import Money, check_currency
from isthmus.kernel.paging import decode_token, encode_token, page_size
from isthmus.kernel.timestamps import opt_date, opt_ts
from isthmus.kernel.violations import Violations
from isthmus.orders import codec, commands, estimates, handlers, payments, pricing, returns
from isthmus.orders.coupons import Coupon
from isthmus.orders.domain import MAX_INSTALMENTS, Adjustment, Kind, Line, ReturnLine
from isthmus.orders.handlers import Uow
from isthmus.orders.metrics import order_figures
from isthmus.orders.store import Record
from isthmus.platform import requests
from isthmus.platform.batching import Batcher
from isthmus_client.api.orders.v1 import order_pb2, orders_pb2, orders_pb2_grpc
from isthmus_client.errors import UNKNOWN_SOURCE_SYSTEM

T = TypeVar("T")
C = TypeVar("C")

SOURCE_SYSTEMS_SETTING = "ISTHMUS_ORDERS_SOURCE_SYSTEMS"
# Unset, the orders take what the customer master takes (ISTHMUS_CUSTOMERS_SOURCE_SYSTEMS), or these.
DEFAULT_SOURCE_SYSTEMS = frozenset({"erp", "webshop", "callcenter"})


def _dates(
    message: Any, where: str, v: Violations, ship_field: str, delivery_field: str
) -> tuple[date | None, date | None]:
    """A line's ship and delivery dates (promised, or estimated), the delivery not before the shipment."""
    ship = v.guard(lambda: opt_date(message, ship_field, f"{where}.{ship_field}"))
    arrive = v.guard(lambda: opt_date(message, delivery_field, f"{where}.{delivery_field}"))
    if ship and arrive and arrive < ship:
        v.add(f"{where}.{delivery_field}", f"{arrive} is before {ship_field} {ship}")
    return ship, arrive


MAX_PAYMENT_METHOD = 64


def _short(value: str, field: str, limit: int, v: Violations) -> str:
    """A short name as given, trimmed: at most ``limit`` characters (boundary.py refuses control
    characters in every string)."""
    text = value.strip()
    if len(text) > limit:
        v.add(field, f"at most {limit} characters, not {len(text)}")
    return text


def _payment_method(value: str, field: str, v: Violations) -> str:
    return _short(value, field, MAX_PAYMENT_METHOD, v)


def _each_line(request: Any, v: Violations) -> list[tuple[str, Any]]:
    """(where, item) for each of a request's ``lines``, each naming its line once: the request's order
    id and at least one line required, a line id missing or named twice noted where it stands."""
    v.required(order_id=request.order_id)
    if not request.lines:
        v.add("lines", "at least one line")
    seen: set[str] = set()
    items = []
    for i, x in enumerate(request.lines):
        where = f"lines[{i}]"
        v.required(**{f"{where}.line_id": x.line_id})
        if x.line_id in seen:
            v.add(f"{where}.line_id", f"line {x.line_id!r} named twice")
        seen.add(x.line_id)
        items.append((where, x))
    return items


def _parsed(message: Any, field: str, v: Violations) -> Money | None:
    """A Money field as given (its currency code required), or None with the violation noted."""
    return v.guard(lambda: Money.parse(message.amount, message.currency_code, field))


def money_in(message: Any, field: str, currency: str, v: Violations) -> Money | None:
    """A Money field in the order's currency (an empty currency code means the order's)."""
    code = message.currency_code or currency
    if code != currency:
        v.add(f"{field}.currency_code", f"must be the order currency {currency}, not {code}")
        return None
    return v.guard(lambda: Money.parse(message.amount, code, field))


def place_order(
    r: orders_pb2.CreateOrderRequest, source_systems: frozenset[str] = DEFAULT_SOURCE_SYSTEMS
) -> commands.PlaceOrder:
    if r.source_system and r.source_system not in source_systems:
        # The caller's configuration, not its order, is at fault: refused alone, with the setting.
        known = ", ".join(sorted(source_systems))
        raise InvalidArgument(
            "source_system",
            f"unknown source system {r.source_system[:80]!r}; configured: {known} "
            f"(add it to {SOURCE_SYSTEMS_SETTING})",
        ).because(UNKNOWN_SOURCE_SYSTEM, setting=SOURCE_SYSTEMS_SETTING, source_system=r.source_system[:80])
    v = Violations()
    v.required(
        source_system=r.source_system, external_order_id=r.external_order_id, customer_id=r.customer_id
    )
    if r.customer_id and not is_uuid(r.customer_id):
        v.add("customer_id", "must be a golden customer id (a UUID)")
    if r.channel == 0:
        v.add("channel", "required")
    elif r.channel not in order_pb2.OrderChannel.values():
        v.add("channel", f"unknown value {r.channel}")
    currency = v.guard(lambda: check_currency(r.currency_code, "currency_code")) or ""
    if not r.lines:
        v.add("lines", "at least one line")
    lines: list[Line] = []
    seen: set[str] = set()
    for i, x in enumerate(r.lines):
        line_id = x.line_id or str(i + 1)
        if line_id in seen:
            v.add(f"lines[{i}].line_id", f"duplicate line id {line_id!r}")
        seen.add(line_id)
        if not x.sku:
            v.add(f"lines[{i}].sku", "required")
        if x.quantity <= 0:
            v.add(f"lines[{i}].quantity", "must be positive")
        price = money_in(x.unit_price, f"lines[{i}].unit_price", currency, v) if currency else None
        ship, arrive = _dates(x, f"lines[{i}]", v, "expected_ship_date", "expected_delivery_date")
        if not 0 <= x.instalments <= MAX_INSTALMENTS:
            v.add(
                f"lines[{i}].instalments",
                f"0 to {MAX_INSTALMENTS} (0 or 1: paid at once), not {x.instalments}",
            )
        method = _payment_method(x.payment_method, f"lines[{i}].payment_method", v)
        supplier = _short(x.drop_ship_supplier, f"lines[{i}].drop_ship_supplier", 128, v)
        if price is not None:
            line = Line(line_id, x.sku, x.description, x.quantity, price, x.shipping_method, x.category)
            line.expected_ship, line.expected_delivery = ship, arrive
            line.instalments, line.payment_method, line.drop_ship_supplier = x.instalments, method, supplier
            line.price_pending = x.price_pending
            lines.append(line)
    adjustments: list[Adjustment] = []
    for i, a in enumerate(r.adjustments):
        if a.kind not in (1, 2, 3, 4):
            v.add(f"adjustments[{i}].kind", "required: TAX, DISCOUNT, SHIPPING or FEE")
            continue
        if a.coupon_code:
            v.add(f"adjustments[{i}].coupon_code", "coupon discounts come from coupon_codes")
        amount = money_in(a.amount, f"adjustments[{i}].amount", currency, v) if currency else None
        if amount is not None:
            adjustments.append(
                Adjustment(Kind(a.kind), amount, a.description, a.line_id, "", a.tax_rate, a.tax_code)
            )
    for i, code in enumerate(r.coupon_codes):
        if not code.strip():
            v.add(f"coupon_codes[{i}]", "empty coupon code")
    v.raise_any()
    return commands.PlaceOrder(
        source_system=r.source_system,
        external_order_id=r.external_order_id,
        customer_id=r.customer_id,
        channel=int(r.channel),
        currency=currency,
        lines=lines,
        adjustments=adjustments,
        coupon_codes=[c.strip().upper() for c in r.coupon_codes],
        shipping_address=codec.from_address(r, "shipping_address"),
        billing_address=codec.from_address(r, "billing_address"),
        placed_at=opt_ts(r, "place_time"),
        attributes=dict(r.attributes),
        actor=codec.caller(r.actor),
    )


def coupon_in(c: order_pb2.Coupon) -> Coupon:
    v = Violations()
    code = c.code.strip().upper()
    if not code:
        v.add("coupon.code", "required")
    percent = amount = minimum = None
    if c.discount_kind == order_pb2.COUPON_DISCOUNT_KIND_PERCENT:
        percent = v.guard(lambda: handlers.percent(c.percent_off, "coupon.percent_off"))
    elif c.discount_kind == order_pb2.COUPON_DISCOUNT_KIND_FIXED_AMOUNT:
        if not c.HasField("amount_off"):
            v.add("coupon.amount_off", "required for FIXED_AMOUNT coupons")
        else:
            amount = v.guard(
                lambda: Money.parse(c.amount_off.amount, c.amount_off.currency_code, "coupon.amount_off")
            )
            if amount is not None and amount.is_zero():
                v.add("coupon.amount_off.amount", "must be positive")
    else:
        v.add("coupon.discount_kind", "required: PERCENT or FIXED_AMOUNT")
    if c.HasField("minimum_subtotal"):
        m = c.minimum_subtotal
        minimum = v.guard(lambda: Money.parse(m.amount, m.currency_code, "coupon.minimum_subtotal"))
        if minimum is not None and amount is not None and minimum.currency != amount.currency:
            v.add("coupon.minimum_subtotal.currency_code", f"must be the coupon's currency {amount.currency}")
    if c.max_redemptions < 0:
        v.add("coupon.max_redemptions", "must not be negative")
    valid_from, valid_until = opt_ts(c, "start_time"), opt_ts(c, "end_time")
    if valid_from and valid_until and valid_until <= valid_from:
        v.add("coupon.end_time", "must be after start_time")
    v.raise_any()
    return Coupon(
        code,
        c.description,
        percent,
        amount,
        minimum,
        valid_from,
        valid_until,
        c.max_redemptions,
        c.once_per_customer,
    )


class OrderServicer(orders_pb2_grpc.OrderServiceServicer):
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Callable[[], datetime],
        record: Record,
        source_systems: frozenset[str] = DEFAULT_SOURCE_SYSTEMS,
    ) -> None:
        self._source_systems = source_systems
        order_figures()  # exported from the start, before the first order, so dashboards find them
        self._sessions = sessions
        self._clock = clock
        self._record = record
        # Concurrent creates and lifecycle changes share a transaction (group commit,
        # docs/decisions/0018-group-commit.md): one read, one write per table, one commit per batch.
        self._writes: Batcher[handlers.Write, handlers.Written] = Batcher(
            "write_order", self._handler(handlers.write_orders), self._handler(self._write_one)
        )

    @staticmethod
    async def _write_one(cmd: handlers.Write, uow: Uow) -> handlers.Written:
        if isinstance(cmd, commands.PlaceOrder):
            return await handlers.create_order(cmd, uow)
        return await handlers.transition(cmd, uow)

    def _handler(self, use_case: Callable[[C, Uow], Awaitable[T]]) -> Callable[[C], Awaitable[T]]:
        async def run(command: C) -> T:
            return await self._run(lambda uow: use_case(command, uow))

        return run

    async def _run(self, work: Callable[[Uow], Awaitable[T]]) -> T:
        try:
            async with self._sessions() as session, session.begin():
                return await work(Uow(session, self._clock, self._record))
        except IntegrityError:
            # Two requests raced to create the same key; the loser retries and sees the winner.
            raise Conflict("a concurrent request changed the same order or coupon; retry") from None

    async def _once(self, request: Message, write: Callable[[Uow], Awaitable[Message]]) -> Message:
        """``write`` in a transaction of its own, unless ``request`` repeats an earlier request_id."""
        return await self._run(lambda uow: requests.once(uow.session, request, lambda: write(uow)))

    async def CreateOrder(self, request: orders_pb2.CreateOrderRequest, context: Any) -> Message:
        cmd = place_order(request, self._source_systems)
        if handlers.batchable(cmd):
            done = await self._writes.submit(cmd)
        else:
            done = await self._run(lambda uow: handlers.create_order(cmd, uow))
        if done.applied:
            figures = order_figures()
            order = done.message
            channel = label(order_pb2.OrderChannel, order.channel).lower() or "unspecified"
            figures.placed.labels(channel, order.currency_code).inc()
            figures.placed_value.labels(order.currency_code).inc(float(order.total.amount or 0))
        return orders_pb2.CreateOrderResponse(order=done.message, outcome=outcome(done.applied))

    async def GetOrder(self, request: orders_pb2.GetOrderRequest, context: Any) -> Message:
        if not request.order_id:
            raise InvalidArgument("order_id", "required")
        order = codec.order(await self._run(lambda uow: handlers.load(uow, request.order_id)))
        return orders_pb2.GetOrderResponse(order=order)

    async def GetOrderByExternalId(
        self, request: orders_pb2.GetOrderByExternalIdRequest, context: Any
    ) -> Message:
        v = Violations()
        v.required(source_system=request.source_system, external_order_id=request.external_order_id)
        v.raise_any()
        found = await self._run(
            lambda uow: uow.orders.by_external(request.source_system, request.external_order_id)
        )
        if found is None:
            raise handlers.NotFound(f"no order {request.source_system}/{request.external_order_id}")
        return orders_pb2.GetOrderByExternalIdResponse(order=codec.order(found.order))

    async def ListOrders(self, request: orders_pb2.ListOrdersRequest, context: Any) -> Message:
        pending = request.customer_state == order_pb2.CUSTOMER_STATE_PENDING
        if request.customer_state not in order_pb2.CustomerState.values():
            raise InvalidArgument("customer_state", f"unknown value {request.customer_state}")
        if not request.customer_id and not pending:
            raise InvalidArgument("customer_id", "required (unless customer_state is PENDING)")
        size = page_size(request.page_size)
        filters = f"{request.customer_id}|{sorted(request.states)}|{request.customer_state}"
        after = None
        position = decode_token(request.page_token, filters)
        if position is not None:
            after = (position.instant("p"), position.text("o"))
        states = list(request.states)
        if pending:
            found = await self._run(
                lambda uow: uow.orders.list_pending(request.customer_id, states, size + 1, after)
            )
        else:
            known = request.customer_state == order_pb2.CUSTOMER_STATE_KNOWN
            found = await self._run(
                lambda uow: uow.orders.list_for_customer(
                    request.customer_id, states, size + 1, after, known_only=known
                )
            )
        next_token = ""
        if len(found) > size:
            last = found[size - 1]
            next_token = encode_token({"p": last.placed_at.isoformat(), "o": last.order_id}, filters)
        return orders_pb2.ListOrdersResponse(
            orders=[codec.order(o) for o in found[:size]], next_page_token=next_token
        )

    async def _transition(self, action: str, request: Any, **extra: Any) -> handlers.Written:
        if not request.order_id:
            raise InvalidArgument("order_id", "required")
        handlers.check_version(request.expected_version)
        sent = request if requests.request_id(request) else None
        at_field = {
            "pay": "pay_time",
            "ship": "ship_time",
            "deliver": "deliver_time",
            "complete": "complete_time",
        }
        cmd = commands.Transition(
            action,
            request.order_id,
            request.expected_version,
            opt_ts(request, at_field[action]),
            codec.caller(request.actor),
            **extra,
            request=sent,
        )
        return await self._writes.submit(cmd)

    async def PayOrder(self, request: orders_pb2.PayOrderRequest, context: Any) -> Message:
        v = Violations()
        v.required(payment_reference=request.payment_reference)
        if not request.HasField("amount"):
            v.add("amount", "required: the order total")
            amount = None
        else:
            amount = v.guard(
                lambda: Money.parse(request.amount.amount, request.amount.currency_code, "amount")
            )
        v.raise_any()
        paid = await self._transition(
            "pay", request, amount=amount, payment_reference=request.payment_reference
        )
        return orders_pb2.PayOrderResponse(order=paid.message, outcome=outcome(paid.applied))

    async def ShipOrder(self, request: orders_pb2.ShipOrderRequest, context: Any) -> Message:
        v = Violations()
        warehouse = _short(request.warehouse, "warehouse", 64, v)
        manifest = _short(request.manifest_number, "manifest_number", 64, v)
        v.raise_any()
        shipped = await self._transition(
            "ship",
            request,
            carrier=request.carrier,
            tracking_number=request.tracking_number,
            warehouse=warehouse,
            manifest_number=manifest,
        )
        return orders_pb2.ShipOrderResponse(order=shipped.message, outcome=outcome(shipped.applied))

    async def DeliverOrder(self, request: orders_pb2.DeliverOrderRequest, context: Any) -> Message:
        delivered = await self._transition("deliver", request)
        return orders_pb2.DeliverOrderResponse(order=delivered.message, outcome=outcome(delivered.applied))

    async def CompleteOrder(self, request: orders_pb2.CompleteOrderRequest, context: Any) -> Message:
        completed = await self._transition("complete", request)
        return orders_pb2.CompleteOrderResponse(order=completed.message, outcome=outcome(completed.applied))

    async def CancelOrder(self, request: orders_pb2.CancelOrderRequest, context: Any) -> Message:
        v = Violations()
        v.required(order_id=request.order_id)
        reason = v.enum(
            "reason_code", request.reason_code, order_pb2.CancellationReason, "CANCELLATION_REASON_"
        )
        v.raise_any()
        handlers.check_version(request.expected_version)
        cmd = commands.CancelOrder(
            request.order_id,
            request.expected_version,
            reason,
            request.reason_text,
            codec.caller(request.actor),
            opt_ts(request, "cancel_time"),
        )

        async def cancel(uow: Uow) -> Message:
            order = await handlers.cancel_order(cmd, uow)
            return orders_pb2.CancelOrderResponse(order=codec.order(order), outcome=APPLIED)

        answer = await self._once(request, cancel)
        if answer.outcome == APPLIED:  # type: ignore[attr-defined]
            reason_name = label(order_pb2.CancellationReason, request.reason_code).lower()
            order_figures().cancelled.labels(reason_name).inc()
        return answer

    async def ReturnOrderLines(self, request: orders_pb2.ReturnOrderLinesRequest, context: Any) -> Message:
        v = Violations()
        v.required(order_id=request.order_id)
        if not request.lines:
            v.add("lines", "at least one line")
        lines = []
        for i, x in enumerate(request.lines):
            v.required(**{f"lines[{i}].line_id": x.line_id})
            if x.quantity <= 0:
                v.add(f"lines[{i}].quantity", "must be positive")
            reason = v.enum(
                f"lines[{i}].reason_code", x.reason_code, order_pb2.ReturnReason, "RETURN_REASON_"
            )
            lines.append(ReturnLine(x.line_id, x.quantity, reason, x.reason_text, x.replacement_sku))
        v.raise_any()
        handlers.check_version(request.expected_version)
        cmd = commands.ReturnLines(
            request.order_id,
            request.expected_version,
            lines,
            request.exchange,
            codec.caller(request.actor),
            opt_ts(request, "return_time"),
        )

        async def return_lines(uow: Uow) -> Message:
            order, order_return = await returns.return_lines(cmd, uow)
            return orders_pb2.ReturnOrderLinesResponse(
                order=codec.order(order), order_return=codec.order_return(order_return), outcome=APPLIED
            )

        answer = await self._once(request, return_lines)
        if answer.outcome == APPLIED:  # type: ignore[attr-defined]
            for x in request.lines:
                reason_name = label(order_pb2.ReturnReason, x.reason_code).lower()
                order_figures().returned.labels(reason_name).inc(x.quantity)
        return answer

    async def SetFinalPrices(self, request: orders_pb2.SetFinalPricesRequest, context: Any) -> Message:
        v = Violations()
        prices: list[tuple[str, Money]] = []
        for where, x in _each_line(request, v):
            if not x.HasField("unit_price"):
                v.add(f"{where}.unit_price", "required: the final price of one unit")
                continue
            price = _parsed(x.unit_price, f"{where}.unit_price", v)
            if price is not None:
                prices.append((x.line_id, price))
        v.raise_any()
        handlers.check_version(request.expected_version)
        cmd = commands.SetFinalPrices(
            request.order_id, request.expected_version, prices, request.reason, codec.caller(request.actor)
        )

        async def reprice(uow: Uow) -> Message:
            order = codec.order(await pricing.set_final_prices(cmd, uow))
            return orders_pb2.SetFinalPricesResponse(order=order, outcome=APPLIED)

        return await self._once(request, reprice)

    async def UpdateDeliveryEstimate(
        self, request: orders_pb2.UpdateDeliveryEstimateRequest, context: Any
    ) -> Message:
        v = Violations()
        lines: list[tuple[str, date | None, date | None]] = []
        for where, x in _each_line(request, v):
            ship, arrive = _dates(x, where, v, "ship_date", "delivery_date")
            if not x.HasField("ship_date") and not x.HasField("delivery_date"):
                v.add(where, "a ship_date, a delivery_date or both")
            lines.append((x.line_id, ship, arrive))
        v.raise_any()
        handlers.check_version(request.expected_version)
        cmd = commands.UpdateDeliveryEstimate(
            request.order_id, request.expected_version, lines, request.reason, codec.caller(request.actor)
        )

        async def update(uow: Uow) -> Message:
            order = codec.order(await estimates.update_delivery_estimate(cmd, uow))
            return orders_pb2.UpdateDeliveryEstimateResponse(order=order, outcome=APPLIED)

        return await self._once(request, update)

    async def PayInstalment(self, request: orders_pb2.PayInstalmentRequest, context: Any) -> Message:
        v = Violations()
        v.required(order_id=request.order_id, payment_reference=request.payment_reference)
        if request.number < 2:
            v.add("number", "the instalment paid, 2 or more (the first is paid with PayOrder)")
        amount = None
        if not request.HasField("amount"):
            v.add("amount", "required: the instalment's amount")
        else:
            amount = v.guard(
                lambda: Money.parse(request.amount.amount, request.amount.currency_code, "amount")
            )
        at = v.guard(lambda: opt_ts(request, "pay_time"))
        v.raise_any()
        handlers.check_version(request.expected_version)
        assert amount is not None
        cmd = commands.PayInstalment(
            request.order_id,
            request.expected_version,
            request.number,
            amount,
            request.payment_reference,
            at,
            codec.caller(request.actor),
        )

        async def pay(uow: Uow) -> Message:
            order = codec.order(await payments.pay_instalment(cmd, uow))
            return orders_pb2.PayInstalmentResponse(order=order, outcome=APPLIED)

        return await self._once(request, pay)

    async def ChangePaymentMethod(
        self, request: orders_pb2.ChangePaymentMethodRequest, context: Any
    ) -> Message:
        v = Violations()
        v.required(order_id=request.order_id, payment_method=request.payment_method.strip())
        method = _payment_method(request.payment_method, "payment_method", v)
        for i, line_id in enumerate(request.line_ids):
            v.required(**{f"line_ids[{i}]": line_id})
        v.raise_any()
        handlers.check_version(request.expected_version)
        cmd = commands.ChangePaymentMethod(
            request.order_id,
            request.expected_version,
            list(dict.fromkeys(request.line_ids)),
            method,
            request.reason,
            codec.caller(request.actor),
        )

        async def change(uow: Uow) -> Message:
            order = codec.order(await payments.change_payment_method(cmd, uow))
            return orders_pb2.ChangePaymentMethodResponse(order=order, outcome=APPLIED)

        return await self._once(request, change)

    def _backorder_lines(self, request: Any, *, release: bool) -> commands.ChangeBackorder:
        v = Violations()
        v.required(order_id=request.order_id)
        if not release and not request.lines:
            v.add("lines", "at least one line")
        lines = []
        expected_at = None
        for i, x in enumerate(request.lines):
            v.required(**{f"lines[{i}].line_id": x.line_id})
            if x.quantity <= 0:
                v.add(f"lines[{i}].quantity", "must be positive")
            lines.append((x.line_id, x.quantity))
            expected_at = expected_at or opt_ts(x, "expect_time")
        v.raise_any()
        handlers.check_version(request.expected_version)
        return commands.ChangeBackorder(
            request.order_id,
            request.expected_version,
            release,
            lines,
            expected_at,
            getattr(request, "reason", ""),
            codec.caller(request.actor),
        )

    async def BackorderLines(self, request: orders_pb2.BackorderLinesRequest, context: Any) -> Message:
        cmd = self._backorder_lines(request, release=False)

        async def backorder(uow: Uow) -> Message:
            order = codec.order(await returns.change_backorder(cmd, uow))
            return orders_pb2.BackorderLinesResponse(order=order, outcome=APPLIED)

        return await self._once(request, backorder)

    async def ReleaseBackorder(self, request: orders_pb2.ReleaseBackorderRequest, context: Any) -> Message:
        cmd = self._backorder_lines(request, release=True)

        async def release(uow: Uow) -> Message:
            order = codec.order(await returns.change_backorder(cmd, uow))
            return orders_pb2.ReleaseBackorderResponse(order=order, outcome=APPLIED)

        return await self._once(request, release)

    async def ListOrderHistoryEntries(
        self, request: orders_pb2.ListOrderHistoryEntriesRequest, context: Any
    ) -> Message:
        if bool(request.order_id) == bool(request.customer_id):
            raise InvalidArgument("order_id", "give exactly one of order_id or customer_id")
        size = page_size(request.page_size)
        filters = f"{request.order_id}|{request.customer_id}|{sorted(request.kinds)}"
        position = decode_token(request.page_token, filters)
        after = position.integer("s") if position is not None else 0
        rows = await self._run(
            lambda uow: uow.orders.list_history(
                order_id=request.order_id,
                customer_id=request.customer_id,
                kinds=list(request.kinds),
                size=size + 1,
                after_seq=after,
            )
        )
        token = encode_token({"s": rows[size - 1][0]}, filters) if len(rows) > size else ""
        return orders_pb2.ListOrderHistoryEntriesResponse(
            order_history_entries=[e for _, e in rows[:size]], next_page_token=token
        )

    async def CreateCoupon(self, request: orders_pb2.CreateCouponRequest, context: Any) -> Message:
        coupon = coupon_in(request.coupon)
        created, applied = await self._run(lambda uow: handlers.create_coupon(coupon, uow))
        return orders_pb2.CreateCouponResponse(coupon=codec.coupon(created), outcome=outcome(applied))

    async def GetCoupon(self, request: orders_pb2.GetCouponRequest, context: Any) -> Message:
        if not request.code.strip():
            raise InvalidArgument("code", "required")
        found = await self._run(lambda uow: handlers.get_coupon(request.code.strip(), uow))
        return orders_pb2.GetCouponResponse(coupon=codec.coupon(found))

    async def ValidateCoupon(self, request: orders_pb2.ValidateCouponRequest, context: Any) -> Message:
        v = Violations()
        v.required(code=request.code.strip())
        subtotal = None
        if not request.HasField("subtotal"):
            v.add("subtotal", "required")
        else:
            s = request.subtotal
            subtotal = v.guard(lambda: Money.parse(s.amount, s.currency_code, "subtotal"))
        v.raise_any()
        assert subtotal is not None
        coupon, outcome = await self._run(
            lambda uow: handlers.validate_coupon(
                request.code.strip(), request.customer_id, subtotal, opt_ts(request, "as_of_time"), uow
            )
        )
        response = orders_pb2.ValidateCouponResponse()
        if coupon is not None:
            response.coupon.CopyFrom(codec.coupon(coupon))
        if isinstance(outcome, tuple):
            response.valid = False
            response.rejection = int(outcome[0])  # type: ignore[assignment]
            response.message = outcome[1]
        else:
            response.valid = True
            response.discount.CopyFrom(codec.money(outcome))
        return response


def add_to_server(servicer: OrderServicer, server: grpc.aio.Server) -> None:
    orders_pb2_grpc.add_OrderServiceServicer_to_server(servicer, server)


__all__ = ["DomainError", "OrderServicer", "add_to_server"]
