"""OrderService: request messages in (orders and coupons read by inputs.py), commands to the handlers,
messages out. Validation only."""

from __future__ import annotations

import logging
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
from isthmus.kernel.money import Money
from isthmus.kernel.paging import decode_token, encode_token, page_size
from isthmus.kernel.timestamps import opt_ts
from isthmus.kernel.violations import Violations
from isthmus.orders import (
    codec,
    commands,
    estimates,
    handlers,
    inputs,
    inventory,
    payments,
    pricing,
    returns,
)
from isthmus.orders.domain import ReturnLine
from isthmus.orders.handlers import Uow
from isthmus.orders.metrics import order_figures
from isthmus.orders.stock_api import StockRpcs
from isthmus.orders.store import Record
from isthmus.platform import requests
from isthmus.platform.batching import Batcher
from isthmus_client.api.orders.v1 import order_pb2, orders_pb2, orders_pb2_grpc

log = logging.getLogger("isthmus.orders")
T = TypeVar("T")
C = TypeVar("C")


class OrderServicer(StockRpcs, orders_pb2_grpc.OrderServiceServicer):
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Callable[[], datetime],
        record: Record,
        source_systems: frozenset[str] = inputs.DEFAULT_SOURCE_SYSTEMS,
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
        cmd = inputs.place_order(request, self._source_systems)
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
        warehouse = inputs.short_text(request.warehouse, "warehouse", 64, v)
        manifest = inputs.short_text(request.manifest_number, "manifest_number", 64, v)
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
            await self._fill(request.order_id, "an order was cancelled")
        return answer

    async def _fill(self, order_id: str, reason: str) -> None:
        """Units an order's change freed go to the orders waiting, in a transaction of their own
        (the change holds its order's lock, and a fill locks other orders after the stock's). Should
        this fail, the periodic round (``bootstrap``) gives them out: the change itself stands."""
        try:
            await self._run(lambda uow: inventory.fill_orders(uow, [order_id], reason))
        except Exception:
            log.warning("units freed by order %s wait for the next round", order_id, exc_info=True)

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
            await self._fill(request.order_id, "returned goods restocked")
            for x in request.lines:
                reason_name = label(order_pb2.ReturnReason, x.reason_code).lower()
                order_figures().returned.labels(reason_name).inc(x.quantity)
        return answer

    async def SetFinalPrices(self, request: orders_pb2.SetFinalPricesRequest, context: Any) -> Message:
        v = Violations()
        prices: list[tuple[str, Money]] = []
        for where, x in inputs.each_line(request, v):
            if not x.HasField("unit_price"):
                v.add(f"{where}.unit_price", "required: the final price of one unit")
                continue
            price = inputs.parsed_money(x.unit_price, f"{where}.unit_price", v)
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
        for where, x in inputs.each_line(request, v):
            ship, arrive = inputs.dates(x, where, v, "ship_date", "delivery_date")
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
        method = inputs.payment_method(request.payment_method, "payment_method", v)
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
        coupon = inputs.coupon_in(request.coupon)
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
