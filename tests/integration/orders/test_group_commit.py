"""Concurrent creates and payments share transactions (group commit): each caller still gets exactly
its own result or error, and what a batch wrote is what the same writes one by one would have written."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from prometheus_client import REGISTRY

from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.orders.v1 import order_pb2, orders_pb2

pytestmark = pytest.mark.postgres


def batches(name: str) -> tuple[float, float, float]:
    """(batches, commands, batches that fell back to one command at a time) of a group commit so far."""
    labels = {"batch": name}
    count = REGISTRY.get_sample_value("isthmus_batch_commands_count", labels) or 0.0
    total = REGISTRY.get_sample_value("isthmus_batch_commands_sum", labels) or 0.0
    fallbacks = REGISTRY.get_sample_value("isthmus_batch_fallbacks_total", labels) or 0.0
    return count, total, fallbacks


def failed(result: object, code: grpc.StatusCode, *words: str) -> bool:
    return (
        isinstance(result, grpc.aio.AioRpcError)
        and result.code() == code
        and all(w in (result.details() or "") for w in words)
    )


async def history(orders, order_id: str) -> list[int]:
    listed = await orders.ListOrderHistoryEntries(
        orders_pb2.ListOrderHistoryEntriesRequest(order_id=order_id)
    )
    return [e.kind for e in listed.order_history_entries]


async def test_concurrent_creates_each_get_their_order_and_a_refused_one_fails_alone(orders, make_order):
    requests = [make_order() for _ in range(20)]
    retry = orders_pb2.CreateOrderRequest()
    retry.CopyFrom(requests[3])  # the same order sent twice at once: one order
    changed = orders_pb2.CreateOrderRequest()
    changed.CopyFrom(requests[5])
    changed.lines[1].quantity = 5  # the same key with another payload
    stray = make_order()
    stray.adjustments.add(
        kind=order_pb2.ADJUSTMENT_KIND_DISCOUNT, line_id="9", amount=stray.lines[0].unit_price
    )
    requests += [retry, changed, stray]

    before = batches("write_order")
    results = await asyncio.gather(*(orders.CreateOrder(r) for r in requests), return_exceptions=True)
    after = batches("write_order")
    assert after[1] - before[1] == len(requests)  # every request went through the batcher
    assert after[0] - before[0] < len(requests)  # and some of them shared a transaction
    assert after[2] == before[2], "each refusal failed alone inside its batch, not by a fallback"

    *created, again, rival, bad = results
    assert failed(bad, grpc.StatusCode.INVALID_ARGUMENT, "adjustments[2].line_id")
    # Of two requests with one key and different payloads, whichever came first made the order.
    first, second = (
        (created[5], rival) if failed(rival, grpc.StatusCode.ALREADY_EXISTS) else (rival, created[5])
    )
    assert (
        isinstance(first, orders_pb2.CreateOrderResponse)
        and first.outcome == common_pb2.WRITE_OUTCOME_APPLIED
    )
    assert failed(second, grpc.StatusCode.ALREADY_EXISTS, first.order.order_id, "lines[1].quantity")
    created[5] = first
    assert all(isinstance(r, orders_pb2.CreateOrderResponse) for r in created)
    assert isinstance(again, orders_pb2.CreateOrderResponse)
    assert again.order.order_id == created[3].order.order_id
    assert sorted([again.outcome, created[3].outcome]) == [
        common_pb2.WRITE_OUTCOME_APPLIED,
        common_pb2.WRITE_OUTCOME_REPLAYED,
    ]
    assert len({r.order.order_id for r in created}) == 20
    assert [r.order.external_order_id for r in created] == [r.external_order_id for r in requests[:20]]
    assert [r.order.lines[1].quantity for r in created if r is not first] == [4] * 19
    for response in created:
        stored = (await orders.GetOrder(orders_pb2.GetOrderRequest(order_id=response.order.order_id))).order
        assert stored == response.order
        assert await history(orders, response.order.order_id) == [order_pb2.ORDER_HISTORY_KIND_PLACED]


async def test_concurrent_payments_each_change_their_order_once(orders, make_order, money):
    placed = [(await orders.CreateOrder(make_order())).order for _ in range(12)]

    def pay(order: order_pb2.Order, **overrides: object) -> orders_pb2.PayOrderRequest:
        fields: dict[str, object] = dict(
            order_id=order.order_id, expected_version=1, amount=order.total, payment_reference="psp"
        )
        fields.update(overrides)
        return orders_pb2.PayOrderRequest(**fields)  # type: ignore[arg-type]

    requests = [pay(o, request_id=f"pay-{o.order_id}") for o in placed[:10]]
    requests += [
        pay(placed[0], request_id=f"pay-{placed[0].order_id}"),  # a retry racing the first: paid once
        pay(placed[10], expected_version=7),  # stale
        pay(placed[11], amount=money("1.00")),  # not the total
        pay(placed[11], order_id="no-such-order"),
    ]
    before = batches("write_order")
    results = await asyncio.gather(*(orders.PayOrder(r) for r in requests), return_exceptions=True)
    after = batches("write_order")
    assert after[1] - before[1] == len(requests)
    assert after[0] - before[0] < len(requests)
    assert after[2] == before[2], "each refusal failed alone inside its batch, not by a fallback"

    *paid, twice, stale, wrong, missing = [
        r.order if isinstance(r, orders_pb2.PayOrderResponse) else r for r in results
    ]
    assert failed(stale, grpc.StatusCode.ABORTED, "version 1, not 7")
    assert failed(wrong, grpc.StatusCode.INVALID_ARGUMENT, "amount")
    assert failed(missing, grpc.StatusCode.NOT_FOUND, "no-such-order")
    assert all(isinstance(o, order_pb2.Order) and o.state == order_pb2.ORDER_STATE_PAID for o in paid)
    assert [o.version for o in paid] == [2] * 10
    assert isinstance(twice, order_pb2.Order) and twice.version == 2 and twice.order_id == placed[0].order_id
    for order in paid:
        stored = (await orders.GetOrder(orders_pb2.GetOrderRequest(order_id=order.order_id))).order
        assert stored == order
        assert await history(orders, order.order_id) == [
            order_pb2.ORDER_HISTORY_KIND_PLACED,
            order_pb2.ORDER_HISTORY_KIND_PAID,
        ]
    for order in placed[10:]:  # the refused payments changed nothing
        stored = (await orders.GetOrder(orders_pb2.GetOrderRequest(order_id=order.order_id))).order
        assert stored.state == order_pb2.ORDER_STATE_PLACED and stored.version == 1
