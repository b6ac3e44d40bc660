"""The customer 360 read model, fed by orders/service-request/loyalty events over RabbitMQ."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import grpc
import pytest
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from isthmus.platform import config, hub
from isthmus.platform.db import session_factory
from isthmus.platform.events import MIGRATIONS, create_bus, record_event
from isthmus.platform.events.testing import FAST
from isthmus.platform.migrations import upgrade
from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.customers.v1 import customer360_pb2 as c360
from isthmus_client.api.customers.v1 import customers_pb2 as api
from isthmus_client.api.customers.v1 import customers_pb2_grpc
from isthmus_client.api.customers.v1 import records_pb2 as pb
from isthmus_client.api.events.v1 import loyalty_pb2 as lev
from isthmus_client.api.events.v1 import orders_pb2 as oev
from isthmus_client.api.events.v1 import service_requests_pb2 as sev
from isthmus_client.api.events.v1 import value_pb2 as vev
from isthmus_client.api.loyalty.v1 import loyalty_pb2
from isthmus_client.api.orders.v1 import order_pb2
from isthmus_client.api.service_requests.v1 import service_request_pb2 as srp
from isthmus_client.api.value.v1 import campaigns_pb2
from isthmus_client.api.value.v1 import value_pb2 as vpb

from .helpers import person, upsert

pytestmark = [pytest.mark.postgres, pytest.mark.rabbitmq]


@dataclass
class World:
    hub: hub.Hub
    master: customers_pb2_grpc.CustomerMasterServiceStub

    async def publish(self, message: Message, aggregate_id: str) -> None:
        """As the other services do: an outbox row in their own schema, the relay, the broker."""
        engine = self.hub.runtime.engine("c360_test_producer")
        async with session_factory(engine)() as session, session.begin():
            await record_event(session, message, aggregate_id=aggregate_id)
        await self.hub.runtime.bus.drain(timeout=20)


@pytest.fixture(scope="module")
async def world(pg_url: str, amqp_url: str) -> AsyncIterator[World]:
    settings = config.load(
        {
            "ISTHMUS_DATABASE_URL": pg_url,
            "ISTHMUS_AMQP_URL": amqp_url,
            "ISTHMUS_AUTH_DISABLED": "true",
            "ISTHMUS_GRPC_PORT": "0",
            "ISTHMUS_METRICS_PORT": "0",
            "ISTHMUS_SHUTDOWN_GRACE_SECONDS": "1",
        }
    )
    await asyncio.to_thread(upgrade, settings, "c360_test_producer", [MIGRATIONS])
    async with hub.running(settings, ["customers"], bus=create_bus(settings, FAST)) as h:
        h.runtime.bus.add_relay(
            f"c360-producer-{uuid.uuid4().hex[:6]}", h.runtime.engine("c360_test_producer")
        )
        async with h.channel() as channel:
            yield World(h, customers_pb2_grpc.CustomerMasterServiceStub(channel))


def ts(seconds: int) -> Timestamp:
    return Timestamp(seconds=seconds)


def order(customer_id: str, oid: str, state: int, total: str, *, paid: bool, placed: int) -> order_pb2.Order:
    o = order_pb2.Order(
        order_id=oid,
        source_system="webshop",
        external_order_id=f"W-{oid[:4]}",
        customer_id=customer_id,
        channel=order_pb2.ORDER_CHANNEL_WEB,
        state=state,
        currency_code="EUR",
        total=common_pb2.Money(amount=total, currency_code="EUR"),
        place_time=ts(placed),
    )
    if paid:
        o.pay_time.CopyFrom(ts(placed + 60))
    return o


async def test_orders_cases_loyalty_and_suppression_events_build_the_360_and_its_timeline(
    world: World, monkeypatch: pytest.MonkeyPatch
):
    uid = uuid.uuid4().hex[:8]
    a = await upsert(
        world.master, person("erp", f"360-{uid}", "Nina", f"{uid}Voss", email=f"n{uid}@example.com")
    )
    cid = a.customer_id
    o1, o2 = str(uuid.uuid4()), str(uuid.uuid4())
    await world.publish(
        oev.OrderPlaced(
            order=order(cid, o1, order_pb2.ORDER_STATE_PLACED, "100.00", paid=False, placed=1000)
        ),
        o1,
    )
    await world.publish(
        oev.OrderPaid(
            order=order(cid, o1, order_pb2.ORDER_STATE_PAID, "100.00", paid=True, placed=1000),
            amount=common_pb2.Money(amount="100.00", currency_code="EUR"),
        ),
        o1,
    )
    await world.publish(
        oev.OrderPaid(order=order(cid, o2, order_pb2.ORDER_STATE_PAID, "20.50", paid=True, placed=2000)), o2
    )
    sr_id = str(uuid.uuid4())
    sr = srp.ServiceRequest(
        service_request_id=sr_id,
        customer_id=cid,
        subject="Parcel lost",
        kind=srp.SERVICE_REQUEST_KIND_COMPLAINT,
        state=srp.SERVICE_REQUEST_STATE_OPEN,
        priority=srp.PRIORITY_HIGH,
        channel=srp.CHANNEL_PHONE,
        open_time=ts(3000),
    )
    await world.publish(sev.ServiceRequestOpened(service_request=sr), sr_id)
    await world.publish(
        sev.ContactSuppressionChanged(
            customer_id=cid,
            suppressed=True,
            reason=f"open complaint {sr_id}",
            service_request_ids=[sr_id],
            change_time=ts(3001),
        ),
        cid,
    )
    entry = loyalty_pb2.LedgerEntry(
        entry_id=str(uuid.uuid4()),
        account_id="acc",
        customer_id=cid,
        points=120,
        balance_after=120,
        occur_time=ts(2100),
    )
    await world.publish(lev.PointsEarned(entry=entry), "acc")
    await world.publish(
        lev.TierChanged(
            customer_id=cid, account_id="acc", to_tier=loyalty_pb2.TierRef(tier_id="gold", name="Gold")
        ),
        "acc",
    )

    view = (
        await world.master.GetCustomer360(api.GetCustomer360Request(customer_id=cid, timeline_page_size=3))
    ).customer360
    assert view.customer.customer_id == cid
    assert view.orders.order_count == 2
    assert [(m.amount, m.currency_code) for m in view.orders.revenue] == [("120.50", "EUR")]
    assert view.orders.last_order.order_id == o2
    assert [b.service_request_id for b in view.service_requests.open] == [sr_id]
    assert view.service_requests.open[0].kind == srp.SERVICE_REQUEST_KIND_COMPLAINT
    assert (view.service_requests.open[0].state, view.service_requests.open[0].priority) == (
        srp.SERVICE_REQUEST_STATE_OPEN,
        srp.PRIORITY_HIGH,
    )
    assert (view.orders.last_order.channel, view.orders.last_order.state) == (
        order_pb2.ORDER_CHANNEL_WEB,
        order_pb2.ORDER_STATE_PAID,
    )
    assert (view.loyalty.enrolled, view.loyalty.points_balance, view.loyalty.tier_name) == (True, 120, "Gold")
    assert view.contact_suppression.suppressed
    assert len(view.timeline) == 3
    with pytest.raises(grpc.aio.AioRpcError) as bad:
        await world.master.GetCustomer360(api.GetCustomer360Request(customer_id=cid, timeline_page_size=-1))
    assert (
        bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "timeline_page_size" in bad.value.details()
    )
    rest = await world.master.ListTimelineEntries(
        api.ListTimelineEntriesRequest(customer_id=cid, page_token=view.timeline_next_page_token)
    )
    assert len(view.timeline) + len(rest.timeline_entries) == 7
    orders_only = await world.master.ListTimelineEntries(
        api.ListTimelineEntriesRequest(customer_id=cid, kinds=[c360.TIMELINE_ENTRY_KIND_ORDER])
    )
    assert [e.references["order_id"] for e in orders_only.timeline_entries].count(o1) == 2
    # The channel is the owning service's enum: the case's phone, not an order channel.
    (case_entry,) = [
        e for e in [*view.timeline, *rest.timeline_entries] if e.references.get("service_request_id")
    ]
    assert case_entry.WhichOneof("channel") == "service_request_channel"
    assert case_entry.service_request_channel == srp.CHANNEL_PHONE

    # An export holds what this service keeps from the other services too: the summaries, and the
    # whole timeline rather than its first page (read here two entries at a time).
    monkeypatch.setattr("isthmus.customers.privacy.EXPORT_TIMELINE_PAGE", 2)
    export = await world.master.ExportCustomer(api.ExportCustomerRequest(customer_id=cid))
    assert export.customer360.orders == view.orders
    assert export.customer360.loyalty == view.loyalty
    assert export.customer360.service_requests == view.service_requests
    assert export.customer360.contact_suppression == view.contact_suppression
    assert not export.customer360.timeline
    assert [e.event_id for e in export.timeline] == [
        e.event_id for e in [*view.timeline, *rest.timeline_entries]
    ]


async def test_the_order_summary_counts_every_order_and_adds_up_each_currencys_takings(world: World):
    uid = uuid.uuid4().hex[:8]
    cid = (await upsert(world.master, person("erp", f"S360-{uid}", "Otto", f"{uid}Summe"))).customer_id

    async def send(kind: type[Message], o: order_pb2.Order) -> None:
        await world.publish(kind(order=o), o.order_id)

    paid = [order(cid, str(uuid.uuid4()), order_pb2.ORDER_STATE_PAID, t, paid=True, placed=p)
            for t, p in (("10.05", 100), ("20.00", 300))]  # fmt: skip
    refunded = order(cid, str(uuid.uuid4()), order_pb2.ORDER_STATE_PAID, "50.00", paid=True, placed=200)
    refunded.refunded_total.CopyFrom(common_pb2.Money(amount="12.50", currency_code="EUR"))
    cancelled = order(cid, str(uuid.uuid4()), order_pb2.ORDER_STATE_CANCELLED, "99.00", paid=True, placed=250)
    unpaid = order(cid, str(uuid.uuid4()), order_pb2.ORDER_STATE_PLACED, "7.00", paid=False, placed=150)
    yen = order(cid, str(uuid.uuid4()), order_pb2.ORDER_STATE_PAID, "1200", paid=True, placed=50)
    yen.currency_code, yen.total.currency_code = "JPY", "JPY"
    for o in [*paid, refunded, cancelled, unpaid, yen]:
        await send(oev.OrderPaid if o.pay_time.seconds else oev.OrderPlaced, o)
    # The newer snapshot of an order replaces its older one in the sums: paid later, then refunded.
    unpaid.state, unpaid.version = order_pb2.ORDER_STATE_PAID, 2
    unpaid.pay_time.CopyFrom(ts(160))
    await send(oev.OrderPaid, unpaid)

    view = (await world.master.GetCustomer360(api.GetCustomer360Request(customer_id=cid))).customer360
    assert view.orders.order_count == 6
    assert [(m.amount, m.currency_code) for m in view.orders.revenue] == [
        ("74.55", "EUR"),  # 10.05 + 20.00 + (50.00 - 12.50) + 7.00; the cancelled one brings nothing
        ("1200", "JPY"),
    ]
    assert view.orders.last_order.order_id == paid[1].order_id  # placed last, whatever arrived last
    assert view.orders.last_order.total.amount == "20.00"
    assert list(view.orders.outstanding) == []  # everything not cancelled is paid

    # What is still owed: an order not paid yet (its event from before orders said it), and one paid
    # in instalments of which 40.00 are left.
    owing = order(cid, str(uuid.uuid4()), order_pb2.ORDER_STATE_PLACED, "15.00", paid=False, placed=400)
    await send(oev.OrderPlaced, owing)
    flex = order(cid, str(uuid.uuid4()), order_pb2.ORDER_STATE_PAID, "60.00", paid=True, placed=500)
    flex.balance_due.CopyFrom(common_pb2.Money(amount="40.00", currency_code="EUR"))
    await send(oev.OrderPaid, flex)
    view = (await world.master.GetCustomer360(api.GetCustomer360Request(customer_id=cid))).customer360
    assert [(m.amount, m.currency_code) for m in view.orders.outstanding] == [("55.00", "EUR")]
    # An instalment paid: 20.00 left of the flex-pay order.
    flex.version, flex.balance_due.amount = flex.version + 1, "20.00"
    await world.publish(oev.OrderInstalmentPaid(order=flex, number=2), flex.order_id)
    view = (await world.master.GetCustomer360(api.GetCustomer360Request(customer_id=cid))).customer360
    assert [(m.amount, m.currency_code) for m in view.orders.outstanding] == [("35.00", "EUR")]
    assert view.timeline[0].summary.startswith("Order ") and "instalment paid" in view.timeline[0].summary

    # Units on backorder: what the open orders wait for; a cancelled order waits for nothing.
    assert view.orders.backordered_units == 0
    owing.version = owing.version + 1
    owing.lines.add(sku="MOWER", quantity=3, backordered_quantity=2)
    await world.publish(
        oev.OrderBackordered(order=owing, backordered_lines=[owing.lines[-1]]), owing.order_id
    )
    view = (await world.master.GetCustomer360(api.GetCustomer360Request(customer_id=cid))).customer360
    assert view.orders.backordered_units == 2
    owing.version, owing.state = owing.version + 1, order_pb2.ORDER_STATE_CANCELLED
    await world.publish(oev.OrderCancelled(order=owing), owing.order_id)
    view = (await world.master.GetCustomer360(api.GetCustomer360Request(customer_id=cid))).customer360
    assert view.orders.backordered_units == 0


async def test_the_last_order_says_when_it_comes_and_what_is_due_next(world: World):
    """What a caller asks of their last order: when it arrives (the latest line's latest estimate, else
    its promise), whether that slipped, and the flex-pay plan's next instalment."""
    uid = uuid.uuid4().hex[:8]
    cid = (await upsert(world.master, person("erp", f"D360-{uid}", "Dora", f"{uid}Datum"))).customer_id
    o = order(cid, str(uuid.uuid4()), order_pb2.ORDER_STATE_PAID, "90.00", paid=True, placed=500)
    late, on_time = o.lines.add(line_id="l1", sku="MOWER"), o.lines.add(line_id="l2", sku="OIL")
    late.expected_delivery_date.CopyFrom(common_pb2.Date(year=2026, month=5, day=10))
    late.estimated_delivery_date.CopyFrom(common_pb2.Date(year=2026, month=5, day=14))
    on_time.expected_delivery_date.CopyFrom(common_pb2.Date(year=2026, month=5, day=12))
    for number, month, paid_at in ((1, 5, 510), (2, 6, 0), (3, 7, 0)):
        due = o.instalments.add(number=number, amount=common_pb2.Money(amount="30.00", currency_code="EUR"))
        due.due_date.CopyFrom(common_pb2.Date(year=2026, month=month, day=1))
        if paid_at:
            due.pay_time.CopyFrom(ts(paid_at))
    await world.publish(oev.OrderPaid(order=o), o.order_id)

    last = (
        await world.master.GetCustomer360(api.GetCustomer360Request(customer_id=cid))
    ).customer360.orders.last_order
    assert last.expected_delivery_date == common_pb2.Date(year=2026, month=5, day=14)
    assert last.delivery_estimate_moved
    assert (last.next_instalment.number, last.next_instalment.amount.amount) == (2, "30.00")
    assert last.next_instalment.due_date == common_pb2.Date(year=2026, month=6, day=1)

    # Delivered: no date to wait for; the plan goes on.
    o.state, o.version = order_pb2.ORDER_STATE_DELIVERED, 2
    await world.publish(oev.OrderDelivered(order=o), o.order_id)
    last = (
        await world.master.GetCustomer360(api.GetCustomer360Request(customer_id=cid))
    ).customer360.orders.last_order
    assert not last.HasField("expected_delivery_date") and last.next_instalment.number == 2

    # An order placed later that names no dates and is paid at once.
    plain = order(cid, str(uuid.uuid4()), order_pb2.ORDER_STATE_PAID, "5.00", paid=True, placed=900)
    await world.publish(oev.OrderPaid(order=plain), plain.order_id)
    last = (
        await world.master.GetCustomer360(api.GetCustomer360Request(customer_id=cid))
    ).customer360.orders.last_order
    assert last.order_id == plain.order_id
    assert not last.HasField("expected_delivery_date") and not last.delivery_estimate_moved
    assert not last.HasField("next_instalment")


async def test_merged_customers_360_includes_the_merged_customers_orders(world: World):
    uid = uuid.uuid4().hex[:8]
    a = await upsert(
        world.master, person("erp", f"M360a-{uid}", "Rolf", f"{uid}Abe", email=f"r{uid}@example.com")
    )
    b = await upsert(
        world.master,
        person("webshop", f"M360b-{uid}", "Ralf", f"{uid}Xyz", phone="+49 171 3332221", dob=(1960, 1, 1)),
    )
    oid = str(uuid.uuid4())
    await world.publish(
        oev.OrderPlaced(
            order=order(b.customer_id, oid, order_pb2.ORDER_STATE_PLACED, "5", paid=False, placed=10)
        ),
        oid,
    )
    await world.master.MergeCustomers(
        api.MergeCustomersRequest(surviving_id=a.customer_id, merged_ids=[b.customer_id], reason="same")
    )
    await world.hub.runtime.bus.drain(timeout=20)
    view = (
        await world.master.GetCustomer360(api.GetCustomer360Request(customer_id=a.customer_id))
    ).customer360
    assert view.orders.order_count == 1
    assert [t.references["order_id"] for t in view.timeline if t.kind == c360.TIMELINE_ENTRY_KIND_ORDER] == [
        oid
    ]
    await world.master.UnmergeCustomer(
        api.UnmergeCustomerRequest(customer_id=a.customer_id, restore_ids=[b.customer_id], reason="not")
    )
    await world.hub.runtime.bus.drain(timeout=20)
    view = (
        await world.master.GetCustomer360(api.GetCustomer360Request(customer_id=a.customer_id))
    ).customer360
    about = [t.summary for t in view.timeline if t.kind == c360.TIMELINE_ENTRY_KIND_CUSTOMER]
    assert about == [f"Unmerged: {b.customer_id} restored (not)", f"Merged with {b.customer_id}: same"]


async def test_points_moved_by_a_merge_and_debt_settled_keep_the_360s_balance_right(world: World):
    uid = uuid.uuid4().hex[:8]
    a = await upsert(
        world.master, person("erp", f"L360-{uid}", "Lore", f"{uid}Lin", email=f"l{uid}@example.com")
    )
    cid = a.customer_id

    def entry(kind: int, points: int, balance: int, debt: int, at: int) -> loyalty_pb2.LedgerEntry:
        return loyalty_pb2.LedgerEntry(
            entry_id=str(uuid.uuid4()),
            account_id=f"acc-{uid}",
            customer_id=cid,
            kind=kind,
            points=points,
            balance_after=balance,
            debt_after=debt,
            occur_time=ts(at),
        )

    await world.publish(
        lev.PointsEarned(entry=entry(loyalty_pb2.LEDGER_ENTRY_KIND_EARN, 600, 600, 0, 10)), cid
    )
    merged_in = entry(loyalty_pb2.LEDGER_ENTRY_KIND_MERGE_IN, 600, 1200, 200, 20)  # with the other's debt
    await world.publish(lev.PointsMoved(entry=merged_in), cid)
    settled = entry(loyalty_pb2.LEDGER_ENTRY_KIND_DEBT_SETTLED, -200, 1000, 0, 21)
    await world.publish(lev.DebtSettled(entry=settled), cid)
    view = (await world.master.GetCustomer360(api.GetCustomer360Request(customer_id=cid))).customer360
    assert (view.loyalty.points_balance, view.loyalty.points_debt) == (1000, 0)
    titles = [t.summary for t in view.timeline if t.kind == c360.TIMELINE_ENTRY_KIND_LOYALTY]
    assert titles[:2] == ["Debt settled: -200 (balance 1000)", "Points moved: 600 (balance 1200)"]


async def test_a_consent_change_is_on_the_360s_timeline(world: World):
    uid = uuid.uuid4().hex[:8]
    a = await upsert(
        world.master, person("webshop", f"C360-{uid}", "Nele", f"{uid}Nord", email=f"n{uid}@example.com")
    )
    for status, at in ((pb.CONSENT_STATUS_GRANTED, 100), (pb.CONSENT_STATUS_WITHDRAWN, 200)):
        await world.master.SetConsent(
            api.SetConsentRequest(
                customer_id=a.customer_id,
                channel=pb.CONSENT_CHANNEL_EMAIL,
                status=status,
                source="webshop:newsletter",
                give_time=ts(at),
            )
        )
    await world.hub.runtime.bus.drain(timeout=20)
    view = (
        await world.master.GetCustomer360(api.GetCustomer360Request(customer_id=a.customer_id))
    ).customer360
    consents = [
        (t.summary, t.occur_time.seconds) for t in view.timeline if t.kind == c360.TIMELINE_ENTRY_KIND_CONSENT
    ]
    assert consents == [
        ("Email marketing consent withdrawn (webshop:newsletter)", 200),
        ("Email marketing consent granted (webshop:newsletter)", 100),
    ]


async def test_what_a_customer_told_an_agents_script_is_on_the_360s_timeline(world: World):
    uid = uuid.uuid4().hex[:8]
    cid = (await upsert(world.master, person("erp", f"T360-{uid}", "Tess", f"{uid}Told"))).customer_id
    told = sev.CustomerTraitsCaptured(
        customer_id=cid,
        traits=[sev.CustomerTraitsCaptured.Trait(name="heard_from", value="tv")],
        run_id="run-1",
        script_id="script-1",
        capture_time=ts(700),
    )
    await world.publish(told, cid)
    view = (await world.master.GetCustomer360(api.GetCustomer360Request(customer_id=cid))).customer360
    entries = [(t.summary, t.occur_time.seconds) for t in view.timeline]
    assert ("Told an agent: heard_from tv", 700) in entries


async def test_campaign_messages_to_the_customer_are_on_the_360s_timeline(world: World):
    uid = uuid.uuid4().hex[:8]
    a = await upsert(
        world.master, person("webshop", f"M360c-{uid}", "Ole", f"{uid}Ost", email=f"ole{uid}@example.com")
    )
    cid = a.customer_id
    requested = vev.CampaignMessageRequested(
        message_id=str(uuid.uuid4()),
        campaign_id="carts",
        customer_id=cid,
        channel=pb.CONSENT_CHANNEL_EMAIL,
        template_id="cart-reminder",
        purpose=campaigns_pb2.CAMPAIGN_PURPOSE_MARKETING,
        trigger=campaigns_pb2.CAMPAIGN_TRIGGER_CART_ABANDONED,
    )
    await world.publish(requested, cid)
    withdrawn = vev.CampaignMessageWithdrawn(
        message_id=requested.message_id,
        campaign_id="carts",
        customer_id=cid,
        reason="open complaint",
        withdraw_time=ts(10_000_000_000),
    )
    await world.publish(withdrawn, cid)
    view = (await world.master.GetCustomer360(api.GetCustomer360Request(customer_id=cid))).customer360
    found = [
        (t.summary, dict(t.references)) for t in view.timeline if t.kind == c360.TIMELINE_ENTRY_KIND_CAMPAIGN
    ]
    refs = {"campaign_id": "carts", "message_id": requested.message_id}
    assert found == [
        ("Campaign message withdrawn before it was due: open complaint", refs),
        ("Marketing message requested (email): cart abandoned, template cart-reminder", refs),
    ]


async def test_a_timeline_paged_while_events_arrive_shows_each_entry_once(world: World):
    uid = uuid.uuid4().hex[:8]
    cid = (await upsert(world.master, person("erp", f"T360-{uid}", "Ute", f"{uid}Paging"))).customer_id

    async def placed(n: int) -> str:
        oid = str(uuid.uuid4())
        o = order(cid, oid, order_pb2.ORDER_STATE_PLACED, f"{n}.00", paid=False, placed=n)
        await world.publish(oev.OrderPlaced(order=o), oid)
        return oid

    older = [await placed(n) for n in range(1, 6)]

    async def page(token: str) -> tuple[list[str], str]:
        found = await world.master.ListTimelineEntries(
            api.ListTimelineEntriesRequest(customer_id=cid, page_size=2, page_token=token)
        )
        return [e.references["order_id"] for e in found.timeline_entries], found.next_page_token

    first, token = await page("")
    newer = await placed(6)  # a newer entry, at the top, while the steward reads on
    second, token = await page(token)
    third, token = await page(token)
    assert (first, second, third, token) == (older[:2:-1], older[2:0:-1], older[:1], "")
    assert (await page(""))[0] == [newer, older[4]]
    # A token is a position only this request's customer and filters may use.
    with pytest.raises(grpc.aio.AioRpcError) as forged:
        await world.master.ListTimelineEntries(
            api.ListTimelineEntriesRequest(customer_id=cid, page_token=f"x{token}y")
        )
    assert forged.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "page_token" in forged.value.details()


async def test_erasure_removes_the_360_and_unknown_customer_is_not_found(world: World):
    uid = uuid.uuid4().hex[:8]
    a = await upsert(
        world.master, person("erp", f"E360-{uid}", "Tom", f"{uid}Tee", email=f"t{uid}@example.com")
    )
    oid = str(uuid.uuid4())
    await world.publish(
        oev.OrderPlaced(
            order=order(a.customer_id, oid, order_pb2.ORDER_STATE_PLACED, "5", paid=False, placed=10)
        ),
        oid,
    )
    await world.master.EraseCustomer(api.EraseCustomerRequest(customer_id=a.customer_id, reason="GDPR"))
    timeline = await world.master.ListTimelineEntries(
        api.ListTimelineEntriesRequest(customer_id=a.customer_id)
    )
    assert not timeline.timeline_entries
    with pytest.raises(grpc.aio.AioRpcError) as err:
        (await world.master.GetCustomer360(api.GetCustomer360Request(customer_id=str(uuid.uuid4()))))
    assert err.value.code() == grpc.StatusCode.NOT_FOUND


async def test_value_and_tier_events_put_the_customers_worth_in_the_360(world: World):
    uid = uuid.uuid4().hex[:8]
    a = await upsert(
        world.master, person("erp", f"V360-{uid}", "Vera", f"{uid}Vau", email=f"v{uid}@example.com")
    )

    def worth(version: int, lifetime: str, tier: int) -> vev.CustomerValueChanged:
        eur = {"currency_code": "EUR"}
        return vev.CustomerValueChanged(
            value=vpb.CustomerValue(
                customer_id=a.customer_id,
                lifetime_value={"amount": lifetime, **eur},
                historical_value={"amount": "100.00", **eur},
                predicted_value={"amount": "20.00", **eur},
                tier=tier,
                rfm=vpb.RfmScore(recency=5, frequency=4, monetary=3),
                alive_probability=0.9,
                version=version,
                update_time=ts(100 + version),
                credit=vpb.Credit(
                    rank=common_pb2.CREDIT_RANK_FAIR, reasons=["1 payment failed in the last 365 days"]
                ),
            )
        )

    await world.publish(worth(2, "120.00", common_pb2.VALUE_TIER_A), a.customer_id)
    await world.publish(worth(1, "90.00", common_pb2.VALUE_TIER_B), a.customer_id)  # late and older: ignored
    tiered = vev.CustomerTierChanged(
        customer_id=a.customer_id,
        from_tier=common_pb2.VALUE_TIER_B,
        to_tier=common_pb2.VALUE_TIER_A,
        lifetime_value=common_pb2.Money(amount="120.00", currency_code="EUR"),
        reason="refit",
    )
    await world.publish(tiered, a.customer_id)
    view = (
        await world.master.GetCustomer360(api.GetCustomer360Request(customer_id=a.customer_id))
    ).customer360
    assert (view.value.lifetime_value.amount, view.value.tier, view.value.rfm) == (
        "120.00",
        common_pb2.VALUE_TIER_A,
        "543",
    )
    assert view.value.alive_probability == pytest.approx(0.9)
    assert view.value.credit_rank == common_pb2.CREDIT_RANK_FAIR
    assert list(view.value.credit_reasons) == ["1 payment failed in the last 365 days"]
    assert view.timeline[0].kind == c360.TIMELINE_ENTRY_KIND_VALUE
    assert view.timeline[0].summary == "Value tier changed to A (lifetime value 120.00 EUR)"


async def test_the_review_queue_puts_the_most_valuable_customers_first(world: World):
    uid = uuid.uuid4().hex[:8]

    async def review_pair(n: int) -> list[api.UpsertResult]:
        pair = []  # same name, birth dates a day apart, other contacts: a review
        for system, street, postcode, day, phone in (
            ("erp", "Am Markt 1", "20095", 17, "+49 40 1"),
            ("webshop", "Seeweg 9", "80331", 18, "+49 89 7"),
        ):
            given, family = [("Marta", "Lindqvist"), ("Oskar", "Obermaier"), ("Helene", "Castellano"),
                             ("Ilse", "Brandauer")][n]  # fmt: skip
            record = person(system, f"RQ{n}-{uid}", given, f"{family}{uid}", dob=(1980, 5, day),
                            street=street, postcode=postcode, phone=f"{phone}{n:06d}")  # fmt: skip
            pair.append(await upsert(world.master, record))
            if n == 3 and system == "erp":  # this one is worth something before its review opens
                await world.publish(worth(pair[0].customer_id, "300.00", 1), pair[0].customer_id)
        assert pair[1].outcome == pb.MATCH_OUTCOME_REVIEW_OPENED, pair[1]
        return pair

    def worth(customer_id: str, lifetime: str, version: int) -> vev.CustomerValueChanged:
        money = {"amount": lifetime, "currency_code": "EUR"}
        return vev.CustomerValueChanged(
            value=vpb.CustomerValue(
                customer_id=customer_id, lifetime_value=money, version=version, update_time=ts(version)
            )
        )

    reviews = [await review_pair(n) for n in range(3)]
    # The newest review involves the most valuable customer, the oldest one none with a value.
    await world.publish(worth(reviews[2][0].customer_id, "900.00", 1), reviews[2][0].customer_id)
    await world.publish(worth(reviews[1][1].customer_id, "75.50", 1), reviews[1][1].customer_id)

    async def queue(order: int) -> list[str]:
        found, token = [], ""
        while True:
            page = await world.master.ListMatchReviews(
                api.ListMatchReviewsRequest(
                    source_system="webshop", order_by=order, page_size=1, page_token=token
                )
            )
            found += [
                r.candidate_record.source_id
                for r in page.match_reviews
                if uid in r.candidate_record.source_id
            ]
            token = page.next_page_token
            if not token:
                return found

    ids = [f"RQ{n}-{uid}" for n in range(4)]
    assert await queue(api.MATCH_REVIEW_ORDER_VALUE_FIRST) == [ids[2], ids[1], ids[0]]
    assert await queue(api.MATCH_REVIEW_ORDER_OLDEST_FIRST) == ids[:3]
    assert await queue(api.MATCH_REVIEW_ORDER_UNSPECIFIED) == ids[:3]

    # A review opened for a customer the 360 already knows the worth of takes its place at once;
    # a value that falls moves its reviews down, one that rises up.
    reviews.append(await review_pair(3))
    assert await queue(api.MATCH_REVIEW_ORDER_VALUE_FIRST) == [ids[2], ids[3], ids[1], ids[0]]
    await world.publish(worth(reviews[2][0].customer_id, "10.00", 2), reviews[2][0].customer_id)
    await world.publish(worth(reviews[0][1].customer_id, "80.00", 1), reviews[0][1].customer_id)
    assert await queue(api.MATCH_REVIEW_ORDER_VALUE_FIRST) == [ids[3], ids[0], ids[1], ids[2]]
    assert await queue(api.MATCH_REVIEW_ORDER_OLDEST_FIRST) == ids
