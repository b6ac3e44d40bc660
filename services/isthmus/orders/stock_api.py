"""The stock rpcs of OrderService (docs/inventory.md): requests read here, the stock desk's use cases
(``stocktaking``) run in the servicer's transactions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from google.protobuf.message import Message

from isthmus.kernel.idempotency import APPLIED, outcome
from isthmus.kernel.paging import decode_token, encode_token, page_size
from isthmus.kernel.timestamps import opt_ts
from isthmus.kernel.violations import Violations
from isthmus.orders import codec, inputs, stocktaking
from isthmus.orders.handlers import Uow
from isthmus.orders.stock import MAX_UNITS
from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.orders.v1 import orders_pb2

MAX_SKUS = 500  # articles one GetStock answers
T = TypeVar("T")


class StockRpcs:
    """Mixed into ``OrderServicer``, which runs the work (``_run``, ``_once``)."""

    async def _run(self, work: Callable[[Uow], Awaitable[T]]) -> T:
        raise NotImplementedError

    async def _once(self, request: Message, write: Callable[[Uow], Awaitable[Message]]) -> Message:
        raise NotImplementedError

    async def SetStockLevel(self, request: orders_pb2.SetStockLevelRequest, context: Any) -> Message:
        v = Violations()
        sku = inputs.sku(request.sku, "sku", v)
        on_hand = request.on_hand if request.HasField("on_hand") else None
        if on_hand is not None and not 0 <= on_hand <= MAX_UNITS:
            v.add("on_hand", f"must be 0 to {MAX_UNITS}")
        expected = v.guard(lambda: opt_ts(request, "expected_receipt_time"))
        if expected is not None and request.clear_expected_receipt:
            v.add("clear_expected_receipt", "give expected_receipt_time or clear it, not both")
        description = inputs.short_text(request.description, "description", 200, v)
        if on_hand is None and expected is None and not request.clear_expected_receipt and not description:
            v.add("on_hand", "give on_hand, expected_receipt_time, clear_expected_receipt or description")
        v.raise_any()
        cmd = stocktaking.Count(
            sku,
            on_hand,
            expected,
            request.clear_expected_receipt,
            description,
            request.reason,
            codec.caller(request.actor),
        )

        async def count(uow: Uow) -> Message:
            stock = await stocktaking.set_level(cmd, uow)
            return orders_pb2.SetStockLevelResponse(stock=stock, outcome=APPLIED)

        return await self._once(request, count)

    async def ReceiveStock(self, request: orders_pb2.ReceiveStockRequest, context: Any) -> Message:
        v = Violations()
        sku = inputs.sku(request.sku, "sku", v)
        if not 0 < request.quantity <= MAX_UNITS:
            v.add("quantity", f"must be 1 to {MAX_UNITS}")
        reference = inputs.short_text(request.reference, "reference", 100, v)
        v.required(reference=reference)
        at = v.guard(lambda: opt_ts(request, "receive_time"))
        v.raise_any()
        cmd = stocktaking.Receipt(sku, request.quantity, reference, at, codec.caller(request.actor))
        stock, served, applied = await self._run(lambda uow: stocktaking.receive(cmd, uow))
        return orders_pb2.ReceiveStockResponse(stock=stock, filled_order_ids=served, outcome=outcome(applied))

    async def HoldStock(self, request: orders_pb2.HoldStockRequest, context: Any) -> Message:
        v = Violations()
        sku = inputs.sku(request.sku, "sku", v)
        v.enum("tier", request.tier, common_pb2.ValueTier, "VALUE_TIER_")
        if request.quantity < 0:
            v.add("quantity", "must be 0 or more")
        v.raise_any()
        number = int(request.tier)  # a tier the proto defines, checked above
        actor = codec.caller(request.actor)

        async def hold(uow: Uow) -> Message:
            stock = await stocktaking.hold(sku, number, request.quantity, request.reason, actor, uow)
            return orders_pb2.HoldStockResponse(stock=stock, outcome=APPLIED)

        return await self._once(request, hold)

    async def GetStock(self, request: orders_pb2.GetStockRequest, context: Any) -> Message:
        v = Violations()
        if not request.skus:
            v.add("skus", "at least one")
        elif len(request.skus) > MAX_SKUS:
            v.add("skus", f"at most {MAX_SKUS}, not {len(request.skus)}")
        skus = [inputs.sku(s, f"skus[{i}]", v) for i, s in enumerate(request.skus)]
        v.raise_any()
        found = await self._run(lambda uow: stocktaking.levels(uow, skus, request.customer_id))
        return orders_pb2.GetStockResponse(stock=found)

    async def ListStockLevels(self, request: orders_pb2.ListStockLevelsRequest, context: Any) -> Message:
        size = page_size(request.page_size)
        filters = f"stock|{request.backordered_only}"
        position = decode_token(request.page_token, filters)
        after = position.text("s") if position is not None else ""

        async def page(uow: Uow) -> list[orders_pb2.StockLevel]:
            found = await uow.stock.kept(after, size + 1, backordered_only=request.backordered_only)
            return await stocktaking.levels(uow, [i.sku for i in found], items={i.sku: i for i in found})

        found = await self._run(page)
        token = encode_token({"s": found[size - 1].sku}, filters) if len(found) > size else ""
        return orders_pb2.ListStockLevelsResponse(stock=found[:size], next_page_token=token)

    async def ListStockMovements(
        self, request: orders_pb2.ListStockMovementsRequest, context: Any
    ) -> Message:
        v = Violations()
        sku = inputs.sku(request.sku, "sku", v)
        v.raise_any()
        size = page_size(request.page_size)
        position = decode_token(request.page_token, sku)
        after = position.integer("s") if position is not None else 0
        rows = await self._run(lambda uow: uow.stock.movements(sku, after, size + 1))
        token = encode_token({"s": rows[size - 1][0]}, sku) if len(rows) > size else ""
        return orders_pb2.ListStockMovementsResponse(
            movements=[m for _, m in rows[:size]], next_page_token=token
        )
