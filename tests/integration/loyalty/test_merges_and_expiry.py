"""Customer merges move orders and points, tiers follow; expiry at a simulated time; dead-letter replay."""

from __future__ import annotations

import uuid

import grpc
import pytest
from google.protobuf.message import Message
from sqlalchemy import text

from isthmus.kernel.ids import new_uuid
from isthmus.loyalty import jobs
from isthmus.loyalty.bootstrap import record
from isthmus.platform.events.bus import request_replay
from isthmus.platform.events.tables import dead_letters
from isthmus.platform.events.testing import Statements
from isthmus_client.api.events.v1 import customers_pb2
from isthmus_client.api.loyalty.v1 import loyalty_pb2
from isthmus_client.api.orders.v1 import order_pb2, orders_pb2

pytestmark = pytest.mark.postgres


def customer() -> str:
    return str(uuid.uuid4())


async def account(services, customer_id: str) -> loyalty_pb2.Account:
    return (await services.loyalty.GetAccount(loyalty_pb2.GetAccountRequest(customer_id=customer_id))).account


async def test_merged_customers_orders_and_points_follow_the_survivor_and_the_tier_is_recomputed(services):
    survivor, merged = customer(), customer()
    pen = [("PEN", 40, "10.00", "office")]  # 400 base + 200 promotion = 600 points each
    kept, _ = await services.place_and_pay(survivor, pen)
    moved, _ = await services.place_and_pay(merged, pen)
    await services.settle()
    assert (await account(services, survivor)).tier.tier_id == "member"
    await services.publish(
        customers_pb2.CustomersMerged(
            surviving_id=survivor, merged_ids=[merged], merge_id="m1", reason="same person"
        ),
        survivor,
    )
    await services.settle()
    got = await account(services, survivor)
    assert got.balance == 1200 and got.lifetime_earned == 1200
    assert got.tier.tier_id == "silver", "600 + 600 qualifying points reach silver together"
    assert (await account(services, merged)).customer_id == survivor, (
        "the merged id finds the survivor's account"
    )
    listed = await services.orders.ListOrders(orders_pb2.ListOrdersRequest(customer_id=survivor))
    assert {o.order_id for o in listed.orders} == {kept.order_id, moved.order_id}
    ledger = await services.loyalty.ListLedgerEntries(
        loyalty_pb2.ListLedgerEntriesRequest(customer_id=survivor)
    )
    kinds = [e.kind for e in ledger.ledger_entries]
    assert (
        loyalty_pb2.LEDGER_ENTRY_KIND_MERGE_IN in kinds and loyalty_pb2.LEDGER_ENTRY_KIND_MERGE_OUT in kinds
    )
    assert sum(e.points for e in ledger.ledger_entries) == got.balance, (
        "the combined ledger adds up to the balance"
    )
    gone = await services.loyalty.ListLedgerEntries(loyalty_pb2.ListLedgerEntriesRequest(customer_id=merged))
    merged_account = {e.account_id for e in gone.ledger_entries} - {got.account_id}
    assert len(merged_account) == 1
    assert services.balance_seen(got.account_id) == (1200, 0), "the survivor's events: the combined balance"
    assert services.balance_seen(merged_account.pop()) == (0, 0), "and the merged account's, none left"

    await services.publish(
        customers_pb2.CustomerUnmerged(from_id=survivor, restored_ids=[merged], merge_id="m1"), survivor
    )
    await services.settle()
    restored = await account(services, merged)
    assert restored.customer_id == merged and restored.balance == 600
    assert (await account(services, survivor)).balance == 600
    assert services.balance_seen(restored.account_id) == (600, 0), "events show the points moved back"
    assert services.balance_seen(got.account_id) == (600, 0)
    back = await services.orders.ListOrders(orders_pb2.ListOrdersRequest(customer_id=merged))
    assert [o.order_id for o in back.orders] == [moved.order_id]
    await services.check_cache_equals_ledger()


async def test_an_erased_customers_orders_lose_personal_data_and_points_leave_the_ledger(services):
    who = customer()
    order, _ = await services.place_and_pay(who, [("PEN", 5, "10.00", "office")])
    await services.settle()
    await services.publish(customers_pb2.CustomerErased(customer_id=who), who)
    await services.settle()
    got = await account(services, who)
    assert got.balance == 0
    kept = (await services.orders.GetOrder(orders_pb2.GetOrderRequest(order_id=order.order_id))).order
    assert kept.total.amount == order.total.amount and not kept.HasField("shipping_address")
    await services.check_cache_equals_ledger()


async def test_an_erasure_scrubs_an_accounts_whole_ledger_with_one_update(services) -> None:
    """However long the account's ledger, its entries lose their free text with one statement."""
    for n in (1, 4):
        who = customer()
        for _ in range(n):
            await services.place_and_pay(who, [("PEN", 5, "10.00", "office")])
        await services.settle()
        with Statements(services.hub.runtime.engine("loyalty")) as seen:
            await services.publish(customers_pb2.CustomerErased(customer_id=who), who)
            await services.settle()
        assert len(seen.naming("loyalty_ledger", "UPDATE")) == 1, seen.naming("loyalty_ledger", "UPDATE")
        ledger = await services.loyalty.ListLedgerEntries(
            loyalty_pb2.ListLedgerEntriesRequest(customer_id=who)
        )
        assert len(ledger.ledger_entries) >= n + 1  # what each order earned, and the erasure's own
        assert all(not e.actor.display_name and not e.reason.text for e in ledger.ledger_entries)


async def test_expiry_at_a_simulated_time_expires_exactly_the_due_points(services, clock):
    who = customer()
    await services.place_and_pay(who, [("PEN", 10, "10.00", "office")])  # 150 points, 10 March 2026
    await services.settle()
    clock.advance(days=60)  # 9 May 2026: no promotion any more
    await services.place_and_pay(who, [("PEN", 10, "10.00", "office")])  # 100 points
    await services.settle()
    await services.loyalty.RedeemPoints(
        loyalty_pb2.RedeemPointsRequest(customer_id=who, points=40, request_id=who)
    )
    soon = (
        await services.loyalty.GetAccount(
            loyalty_pb2.GetAccountRequest(customer_id=who, expiring_within={"seconds": 400 * 86400})
        )
    ).account
    assert [p.points for p in soon.expiring_soon] == [110, 100], "the redemption drew on the oldest points"
    sessions = services.sessions()

    clock.advance(days=299)  # 4 March 2027: nothing of this customer is due yet
    await jobs.expire_due(sessions, services.programme, clock)
    assert (await account(services, who)).balance == 210
    clock.advance(days=7)  # 11 March 2027: the March points are a year old
    # The job runs over every account of the (shared) database; this customer's share is 110.
    assert await jobs.expire_due(sessions, services.programme, clock) >= 110
    assert await jobs.expire_due(sessions, services.programme, clock) == 0, "a second run finds nothing due"
    got = await account(services, who)
    assert got.balance == 100
    [expired] = (
        await services.loyalty.ListLedgerEntries(
            loyalty_pb2.ListLedgerEntriesRequest(
                customer_id=who, kinds=[loyalty_pb2.LEDGER_ENTRY_KIND_EXPIRE]
            )
        )
    ).ledger_entries
    assert expired.points == -110 and len(expired.reason.source_entry_ids) == 1
    await services.check_cache_equals_ledger()


async def test_order_paid_replayed_from_the_dead_letter_queue_awards_once(services):
    who = customer()
    engine = services.hub.runtime.engine("loyalty")
    async with engine.begin() as conn:  # an operator's broken migration: the consumer cannot write
        await conn.execute(text("ALTER TABLE loyalty_orders RENAME TO loyalty_orders_broken"))
    try:
        await services.place_and_pay(who)
        await services.settle()
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await account(services, who)
        assert err.value.code() == grpc.StatusCode.NOT_FOUND
    finally:
        async with engine.begin() as conn:
            await conn.execute(text("ALTER TABLE loyalty_orders_broken RENAME TO loyalty_orders"))
    async with engine.connect() as conn:
        dead = (
            await conn.execute(dead_letters.select().where(dead_letters.c.type == "orders.OrderPaid"))
        ).all()
    assert len(dead) == 1
    assert await request_replay(engine, [dead[0].dead_letter_id]) == 1
    await services.settle()
    assert (await account(services, who)).balance == 1015
    # Replaying the same event once more (an operator's double click) has no second effect.
    async with engine.begin() as conn:
        await conn.execute(
            dead_letters.insert().values(
                **{k: v for k, v in dead[0]._mapping.items() if k not in ("id", "dead_letter_id")},
                dead_letter_id=new_uuid(),
            )
        )
    assert await request_replay(engine, None) >= 1
    await services.settle()
    assert (await account(services, who)).balance == 1015
    await services.check_cache_equals_ledger()


async def test_a_tier_is_lowered_only_at_the_review_and_every_change_is_an_event(services, clock):
    who = customer()
    order, _ = await services.place_and_pay(who)  # 1015 points: silver at once
    await services.settle()
    await services.orders.CancelOrder(
        orders_pb2.CancelOrderRequest(
            order_id=order.order_id,
            expected_version=2,
            reason_code=order_pb2.CANCELLATION_REASON_DUPLICATE,
        )
    )
    await services.settle()
    got = await account(services, who)
    assert (got.balance, got.qualifying_points, got.tier.tier_id) == (0, 0, "silver"), (
        "no downgrade before review"
    )
    assert got.progress.next_tier.tier_id == "gold" and got.progress.points_needed == 3000
    clock.advance(days=366)
    await jobs.expire_due(services.sessions(), services.programme, clock, record)
    got = await account(services, who)
    assert got.tier.tier_id == "member" and got.tier_review_time.ToDatetime().year == 2028
    await services.settle()
    kinds = [e.type for e in services.events_of(got.account_id)]
    assert kinds == [
        "loyalty.TierChanged",
        "loyalty.PointsEarned",
        "loyalty.TierChanged",
        "loyalty.PointsClawedBack",
        "loyalty.TierChanged",
    ]
    enrolled, earned, raised, _, lowered = services.events_of(got.account_id)
    assert (enrolled.payload.reason, enrolled.payload.to_tier.tier_id) == (
        loyalty_pb2.TIER_CHANGE_REASON_ENROLLED,
        "member",
    )
    assert not enrolled.payload.HasField("from_tier")
    assert earned.payload.entry.reason.order_id == order.order_id
    assert (raised.payload.reason, raised.payload.to_tier.tier_id) == (
        loyalty_pb2.TIER_CHANGE_REASON_QUALIFIED,
        "silver",
    )
    assert earned.causation_id == raised.causation_id == earned.payload.entry.reason.event_id, (
        "caused by OrderPaid"
    )
    assert lowered.payload.reason == loyalty_pb2.TIER_CHANGE_REASON_REVIEW


async def test_a_customers_orders_follow_a_merge_its_undoing_and_an_erasure_with_statements_that_do_not_grow(
    services,
) -> None:
    """The orders of a merged customer move to the survivor (their history with them, an entry of the
    change each), go back when the merge is undone, and lose their personal data on an erasure: each
    with a few statements for all of the customer's orders, the same for two orders as for six."""

    async def follow(n: int) -> tuple[int, int, int]:
        survivor, merged, merge_id = customer(), customer(), new_uuid()
        placed = [
            (await services.place_and_pay(merged, [("PEN", 1, "10.00", "office")]))[0] for _ in range(n)
        ]
        ids = {o.order_id for o in placed}
        await services.settle()

        async def watched(message: Message, aggregate_id: str) -> int:
            with Statements(services.hub.runtime.engine("orders")) as seen:
                await services.publish(message, aggregate_id)
                await services.settle()
            return len(seen.naming("order"))

        async def history(customer_id: str) -> list[order_pb2.OrderHistoryEntry]:
            got = await services.orders.ListOrderHistoryEntries(
                orders_pb2.ListOrderHistoryEntriesRequest(customer_id=customer_id, page_size=500)
            )
            return list(got.order_history_entries)

        merging = await watched(
            customers_pb2.CustomersMerged(
                surviving_id=survivor, merged_ids=[merged, merged], merge_id=merge_id
            ),
            survivor,
        )
        listed = await services.orders.ListOrders(orders_pb2.ListOrdersRequest(customer_id=survivor))
        assert {o.order_id for o in listed.orders} == ids
        assert [o.version for o in listed.orders] == [4] * n  # placed, paid, its customer known, moved
        moved = await history(survivor)
        assert {e.order_id for e in moved} == ids and not await history(merged)
        changed = [e for e in moved if e.kind == order_pb2.ORDER_HISTORY_KIND_CUSTOMER_CHANGED]
        assert sorted(e.order_id for e in changed) == sorted(ids) and all(e.version == 4 for e in changed)

        unmerging = await watched(
            customers_pb2.CustomerUnmerged(from_id=survivor, restored_ids=[merged], merge_id=merge_id),
            survivor,
        )
        back = await services.orders.ListOrders(orders_pb2.ListOrdersRequest(customer_id=merged))
        assert {o.order_id for o in back.orders} == ids and not (
            await services.orders.ListOrders(orders_pb2.ListOrdersRequest(customer_id=survivor))
        ).orders
        assert {e.order_id for e in await history(merged)} == ids

        erasing = await watched(customers_pb2.CustomerErased(customer_id=merged), merged)
        for order_id in ids:
            kept = (await services.orders.GetOrder(orders_pb2.GetOrderRequest(order_id=order_id))).order
            assert not kept.HasField("shipping_address") and kept.version == 6
        return merging, unmerging, erasing

    assert await follow(2) == await follow(6)
