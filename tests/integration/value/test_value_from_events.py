"""Orders, returns, cancellations and cases to customer value and tiers, on PostgreSQL and RabbitMQ.

Events flow for real: the orders and service requests outboxes, the RabbitMQ exchange, the value
component's queues and inbox, its outbox, and a probe subscriber of its events. The customer
master's merge and erasure events are published as that component would publish them.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy.ext.asyncio import AsyncSession

from isthmus.platform import config, hub
from isthmus.platform.db import async_engine, session_factory
from isthmus.platform.events import Event, Subscription, create_bus
from isthmus.platform.events.testing import FAST, publish
from isthmus.value import config as value_config
from isthmus.value import credit, domain, refit
from isthmus.value.bootstrap import record
from isthmus.value.handlers import CurrentModel, settings_of
from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.events.v1 import customers_pb2
from isthmus_client.api.events.v1 import orders_pb2 as orders_events
from isthmus_client.api.events.v1 import value_pb2 as value_events
from isthmus_client.api.orders.v1 import order_pb2, orders_pb2, orders_pb2_grpc
from isthmus_client.api.service_requests.v1 import (
    service_request_pb2,
    service_requests_pb2,
    service_requests_pb2_grpc,
)
from isthmus_client.api.value.v1 import value_pb2, value_pb2_grpc


def cid(name: str) -> str:
    """A golden customer id (a UUID) for a readable test name: the same name, the same id."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"isthmus-test:{name}"))


NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def stamp(at: datetime) -> Timestamp:
    t = Timestamp()
    t.FromDatetime(at)
    return t


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class World:
    orders: orders_pb2_grpc.OrderServiceStub
    cases: service_requests_pb2_grpc.ServiceRequestServiceStub
    value: value_pb2_grpc.ValueServiceStub
    hub: hub.Hub
    seen: list[Event]

    async def order(self, customer_id: str, net: str, *, days_ago: float, cost: str = "") -> order_pb2.Order:
        """A paid order of one line worth ``net`` plus 20 % tax, placed ``days_ago`` before NOW."""
        order = await self.placed(customer_id, net, days_ago=days_ago, cost=cost)
        return (
            await self.orders.PayOrder(
                orders_pb2.PayOrderRequest(
                    order_id=order.order_id, expected_version=1, amount=order.total, payment_reference="psp"
                )
            )
        ).order

    async def placed(self, customer_id: str, net: str, *, days_ago: float, cost: str = "") -> order_pb2.Order:
        """An order of one line worth ``net`` plus 20 % tax, placed ``days_ago`` before NOW, not paid."""
        tax = f"{float(net) * 0.2:.2f}"
        created = await self.orders.CreateOrder(
            orders_pb2.CreateOrderRequest(
                source_system="webshop",
                external_order_id=f"W-{uuid.uuid4().hex[:10]}",
                customer_id=customer_id,
                channel=order_pb2.ORDER_CHANNEL_WEB,
                currency_code="EUR",
                lines=[
                    order_pb2.OrderLine(
                        sku="A", quantity=2, unit_price=common_pb2.Money(amount=f"{float(net) / 2:.2f}")
                    )
                ],
                adjustments=[
                    order_pb2.Adjustment(
                        kind=order_pb2.ADJUSTMENT_KIND_TAX, amount=common_pb2.Money(amount=tax)
                    )
                ],
                place_time=stamp(NOW - timedelta(days=days_ago)),
                attributes={"cost_of_goods": cost} if cost else {},
            )
        )
        return created.order

    async def recheck(self) -> int:
        """The credit review job, run now at the hub's clock."""
        settings = self.hub.runtime.settings
        engine = async_engine(settings, "value")
        try:
            sessions = session_factory(engine)
            found = await credit.recheck_due(
                sessions, value_config.load(settings.extra), self.hub.runtime.clock, record, CurrentModel()
            )
        finally:
            await engine.dispose()
        return found

    async def get(self, customer_id: str) -> value_pb2.CustomerValue:
        asked = value_pb2.GetCustomerValueRequest(customer_id=customer_id)
        return (await self.value.GetCustomerValue(asked)).customer_value

    async def publish(self, message: Message, aggregate_id: str) -> None:
        await publish(self.hub.runtime.bus, message, aggregate_id, NOW)

    async def settle(self) -> None:
        await self.hub.runtime.bus.drain(timeout=30)
        await asyncio.sleep(0.2)
        await self.hub.runtime.bus.drain(timeout=30)

    def events(self, kind: type[Message], customer_id: str) -> list[Message]:
        return [e.payload for e in self.seen if isinstance(e.payload, kind) and e.aggregate_id == customer_id]


@pytest.fixture
async def world(pg_database: str, amqp_vhost: str) -> AsyncIterator[World]:
    settings = config.load(
        {
            "ISTHMUS_DATABASE_URL": pg_database,
            "ISTHMUS_AMQP_URL": amqp_vhost,
            "ISTHMUS_AUTH_DISABLED": "true",
            "ISTHMUS_GRPC_PORT": "0",
            "ISTHMUS_METRICS_PORT": "0",
            "ISTHMUS_VALUE_DISCOUNT_RATE": "0",
            # Refits only when a test asks.
            "ISTHMUS_VALUE_FIRST_REFIT_SECONDS": "0",
            "ISTHMUS_SERVICE_REQUESTS_SLA_TIER_A": "normal=1h/2h",
            "ISTHMUS_VALUE_SERVICE_COSTS": '{"complaint": "25.00", "default": "5.00"}',
        }
    )
    bus = create_bus(settings, FAST)
    seen: list[Event] = []

    async def probe(session: AsyncSession, event: Event) -> None:
        seen.append(event)

    await asyncio.to_thread(hub.migrate, settings, ["value"])
    probe_engine = async_engine(settings, "value")
    bus.subscribe("probe", probe_engine, Subscription("value-events", ["value.*"], probe))
    try:
        async with (
            hub.running(settings, ["orders", "service-requests", "value"], clock=Clock(NOW), bus=bus) as h,
            h.channel() as channel,
        ):
            yield World(
                orders_pb2_grpc.OrderServiceStub(channel),
                service_requests_pb2_grpc.ServiceRequestServiceStub(channel),
                value_pb2_grpc.ValueServiceStub(channel),
                h,
                seen,
            )
    finally:
        await probe_engine.dispose()


async def test_orders_returns_cancellations_and_cases_net_into_the_customers_value(world: World) -> None:
    first = await world.order(cid("c-1"), "100.00", days_ago=60, cost="40.00")
    await world.order(cid("c-1"), "50.00", days_ago=30)
    doomed = await world.order(cid("c-1"), "70.00", days_ago=10)
    await world.settle()
    got = await world.get(cid("c-1"))
    assert (got.revenue.amount, got.cost_of_goods.amount, got.orders) == ("220.00", "40.00", 3)
    # One of the two units of the first order comes back: half its revenue and half its cost.
    await world.orders.ShipOrder(
        orders_pb2.ShipOrderRequest(
            order_id=first.order_id, expected_version=first.version, carrier="dhl", tracking_number="1"
        )
    )
    delivered = (
        await world.orders.DeliverOrder(
            orders_pb2.DeliverOrderRequest(order_id=first.order_id, expected_version=first.version + 1)
        )
    ).order
    returned = orders_pb2.ReturnOrderLinesRequest(
        order_id=first.order_id,
        expected_version=delivered.version,
        request_id="R-1",
        lines=[order_pb2.ReturnLine(line_id="1", quantity=1, reason_code=order_pb2.RETURN_REASON_DEFECTIVE)],
    )
    await world.orders.ReturnOrderLines(returned)
    await world.orders.CancelOrder(
        orders_pb2.CancelOrderRequest(
            order_id=doomed.order_id,
            expected_version=doomed.version,
            reason_code=order_pb2.CANCELLATION_REASON_CUSTOMER_REQUEST,
        )
    )
    await world.cases.OpenServiceRequest(
        service_requests_pb2.OpenServiceRequestRequest(
            customer_id=cid("c-1"),
            order_id=first.order_id,
            channel=service_request_pb2.CHANNEL_PHONE,
            kind=service_request_pb2.SERVICE_REQUEST_KIND_COMPLAINT,
            subject="broken",
            request_id=str(uuid.uuid4()),
        )
    )
    await world.settle()
    got = await world.get(cid("c-1"))
    assert got.revenue.amount == "100.00"  # 50 + 50 left of the first; the third was cancelled
    assert got.cost_of_goods.amount == "20.00"
    assert got.cost_to_serve.amount == "25.00"
    assert got.margin.amount == got.historical_value.amount == "55.00"  # no discount configured
    assert got.orders == 2 and got.repeat_purchases == 1
    changes = world.events(value_events.CustomerValueChanged, cid("c-1"))
    assert changes and changes[-1].value.margin.amount == "55.00"


async def test_a_refit_tiers_customers_and_the_ranked_list_pages_through_them(world: World) -> None:
    for i in range(12):
        for k in range(1 + i % 4):
            await world.order(cid(f"c-{i:02d}"), f"{10 * (i + 1)}.00", days_ago=200 - 30 * k - i)
    await world.settle()
    refit = (await world.value.RefitValueModel(value_pb2.RefitValueModelRequest())).model
    assert refit.customers == 12 and refit.HasField("bg_nbd") and refit.HasField("tier_a_from")
    await world.settle()
    ranked, token = [], ""
    while True:
        page = await world.value.ListCustomerValues(
            value_pb2.ListCustomerValuesRequest(page_size=5, page_token=token)
        )
        ranked += page.customer_values
        token = page.next_page_token
        if not token:
            break
    assert len(ranked) == 12
    lifetimes = [float(v.lifetime_value.amount) for v in ranked]
    assert lifetimes == sorted(lifetimes, reverse=True)
    tiers = [v.tier for v in ranked]
    assert tiers[0] == common_pb2.VALUE_TIER_A and tiers[-1] == common_pb2.VALUE_TIER_C
    assert tiers == sorted(tiers)
    top = ranked[0].customer_id
    tiered = world.events(value_events.CustomerTierChanged, top)
    assert [t.to_tier for t in tiered] == [common_pb2.VALUE_TIER_A] and tiered[0].reason == "refit"
    only_a = await world.value.ListCustomerValues(
        value_pb2.ListCustomerValuesRequest(tier=common_pb2.VALUE_TIER_A, page_size=50)
    )
    assert {v.customer_id for v in only_a.customer_values} == {v.customer_id for v in ranked if v.tier == 1}
    with pytest.raises(grpc.aio.AioRpcError) as bad:
        await world.value.ListCustomerValues(value_pb2.ListCustomerValuesRequest(page_size=-1))
    assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    # Service level by value: the tier event reached the service requests; an A customer's new case
    # gets the faster targets, a C customer's the ordinary ones (normal: 4h response).
    bottom = ranked[-1].customer_id
    due = {}
    for customer_id in (top, bottom):
        opened = await world.cases.OpenServiceRequest(
            service_requests_pb2.OpenServiceRequestRequest(
                customer_id=customer_id,
                channel=service_request_pb2.CHANNEL_PHONE,
                kind=service_request_pb2.SERVICE_REQUEST_KIND_INQUIRY,
                priority=service_request_pb2.PRIORITY_NORMAL,
                subject="question",
                open_time=stamp(NOW),
            )
        )
        due[customer_id] = opened.service_request.sla.response_due_time.ToDatetime(tzinfo=UTC) - NOW
    assert due == {top: timedelta(hours=1), bottom: timedelta(hours=4)}
    # After the refit, a new order is scored at once with the fitted models.
    await world.order(cid("c-00"), "500.00", days_ago=1)
    await world.settle()
    rescored = await world.get(cid("c-00"))
    assert rescored.model_id == refit.model_id and float(rescored.predicted_value.amount) > 0


async def test_a_refit_does_not_put_back_the_scores_of_a_customer_who_bought_while_it_ran(
    world: World,
) -> None:
    """A refit reads everyone, fits (minutes on a million customers), then writes in chunks: a customer
    whose order was scored in between is scored again from the row as it is, not from the read."""
    for i in range(12):
        for k in range(1 + i % 4):
            await world.order(cid(f"r-{i:02d}"), f"{10 * (i + 1)}.00", days_ago=200 - 30 * k - i)
    await world.settle()
    await world.value.RefitValueModel(value_pb2.RefitValueModelRequest())
    await world.settle()
    settings = world.hub.runtime.settings
    value_settings = value_config.load(settings.extra)
    engine = async_engine(settings, "value")
    try:
        sessions = session_factory(engine)
        current = CurrentModel()
        async with sessions() as session:
            model = await current.refresh(session)
            rows = [tuple(r) for r in (await session.execute(refit._LIVE)).all()]
        assert model is not None
        ids, population = refit.population(rows, NOW, settings_of(value_settings).minor_per_unit)
        stale = domain.score_population(population, model, settings_of(value_settings))
        # The refit has read; now the customer buys and the order is scored with the same model.
        await world.order(cid("r-00"), "500.00", days_ago=1)
        await world.settle()
        scored = await world.get(cid("r-00"))
        versions = [r[-1] for r in rows]
        await refit._rescore_chunk(
            sessions, value_settings, world.hub.runtime.clock, record, current, ids, versions, model, stale, 0
        )
    finally:
        await engine.dispose()
    after = await world.get(cid("r-00"))
    assert after.predicted_value == scored.predicted_value and after.lifetime_value == scored.lifetime_value
    assert after.historical_value == scored.historical_value and after.tier == scored.tier


async def test_merged_customers_values_combine_and_an_erased_customer_has_none(world: World) -> None:
    await world.order(cid("c-a"), "100.00", days_ago=40)
    await world.order(cid("c-b"), "30.00", days_ago=20)
    await world.placed(cid("c-b"), "10.00", days_ago=1)  # owed: the debt comes along
    await world.settle()
    merged = customers_pb2.CustomersMerged(surviving_id=cid("c-a"), merged_ids=[cid("c-b")], merge_id="m-1")
    await world.publish(merged, cid("c-a"))
    await world.settle()
    survivor = await world.get(cid("c-a"))
    assert survivor.revenue.amount == "130.00" and survivor.orders == 2
    credit = survivor.credit
    assert (credit.rank, credit.outstanding.amount) == (common_pb2.CREDIT_RANK_GOOD, "12.00")
    assert (await world.get(cid("c-b"))).customer_id == cid("c-a")  # follows the merge
    # An order of the merged customer that arrives late counts for the survivor.
    await world.order(cid("c-b"), "20.00", days_ago=5)
    await world.settle()
    assert (await world.get(cid("c-a"))).revenue.amount == "150.00"
    unmerged = customers_pb2.CustomerUnmerged(from_id=cid("c-a"), restored_ids=[cid("c-b")], merge_id="m-1")
    await world.publish(unmerged, cid("c-a"))
    await world.settle()
    assert (await world.get(cid("c-a"))).revenue.amount == "100.00"
    assert (await world.get(cid("c-b"))).revenue.amount == "50.00"
    assert (await world.get(cid("c-b"))).credit.outstanding.amount == "12.00"
    await world.publish(customers_pb2.CustomerErased(customer_id=cid("c-b")), cid("c-b"))
    await world.settle()
    with pytest.raises(grpc.aio.AioRpcError) as gone:
        await world.get(cid("c-b"))
    assert gone.value.code() == grpc.StatusCode.NOT_FOUND


async def test_a_repeated_order_event_under_a_new_id_counts_once(world: World) -> None:
    paid = await world.order(cid("c-r"), "80.00", days_ago=3)
    await world.settle()
    again = orders_events.OrderPaid(
        order=paid, amount=paid.total, payment_reference="psp", pay_time=paid.pay_time
    )
    await world.publish(again, paid.order_id)
    await world.settle()
    assert (await world.get(cid("c-r"))).revenue.amount == "80.00"


async def test_credit_ranks_follow_how_a_customer_pays_and_time_alone(world: World) -> None:
    """Orders placed and not paid are owed, fall due and make the rank POOR without any event; a failed
    payment and a late one are strikes; a read is never stale, the sweep stores and tells the change."""
    clock = world.hub.runtime.clock
    assert isinstance(clock, Clock)
    owing = await world.placed(cid("k-1"), "100.00", days_ago=0)  # 120.00 with its tax
    await world.order(cid("k-1"), "50.00", days_ago=2)
    await world.settle()
    credit = (await world.get(cid("k-1"))).credit
    assert credit.rank == common_pb2.CREDIT_RANK_NEW
    assert (credit.outstanding.amount, credit.overdue.amount, credit.paid_orders) == ("120.00", "0.00", 1)
    assert list(credit.reasons) == ["1 order paid of the 2 a GOOD rank asks for"]

    # Due 14 days after it was placed: the clock passes that, and no event comes.
    clock.now = NOW + timedelta(days=15)
    credit = (await world.get(cid("k-1"))).credit
    assert credit.rank == common_pb2.CREDIT_RANK_POOR and credit.overdue.amount == "120.00"
    due = (NOW + timedelta(days=14)).date().isoformat()  # placed at NOW, due 14 days on
    assert list(credit.reasons) == [f"1 order with EUR 120.00 overdue since {due}"]
    assert credit.as_of_time.ToDatetime(tzinfo=UTC) == clock.now
    poor = value_pb2.ListCustomerValuesRequest(credit_rank=common_pb2.CREDIT_RANK_POOR)
    assert [v.customer_id for v in (await world.value.ListCustomerValues(poor)).customer_values] == []
    told = len(world.events(value_events.CustomerValueChanged, cid("k-1")))
    assert await world.recheck() == 1
    await world.settle()
    listed = (await world.value.ListCustomerValues(poor)).customer_values
    assert [v.customer_id for v in listed] == [cid("k-1")]
    changes = world.events(value_events.CustomerValueChanged, cid("k-1"))
    assert len(changes) == told + 1 and changes[-1].value.credit.rank == common_pb2.CREDIT_RANK_POOR
    assert await world.recheck() == 0  # nothing more falls due

    # Paid at last, after its due date: owed no more, but a strike for a year.
    await world.orders.PayOrder(
        orders_pb2.PayOrderRequest(order_id=owing.order_id, amount=owing.total, payment_reference="late")
    )
    await world.settle()
    credit = (await world.get(cid("k-1"))).credit
    assert credit.rank == common_pb2.CREDIT_RANK_FAIR and credit.outstanding.amount == "0.00"
    assert (credit.late_payments, credit.paid_orders) == (1, 2)
    assert list(credit.reasons) == ["1 order paid after its due date in the last 365 days"]
    # A payment that fails is a second strike.
    failing = await world.placed(cid("k-1"), "10.00", days_ago=0)
    await world.orders.CancelOrder(
        orders_pb2.CancelOrderRequest(
            order_id=failing.order_id, reason_code=order_pb2.CANCELLATION_REASON_PAYMENT_FAILED
        )
    )
    # Cancelled for another reason, an unpaid order is simply no longer owed.
    changed_mind = await world.placed(cid("k-1"), "10.00", days_ago=0)
    await world.orders.CancelOrder(
        orders_pb2.CancelOrderRequest(
            order_id=changed_mind.order_id, reason_code=order_pb2.CANCELLATION_REASON_CUSTOMER_REQUEST
        )
    )
    await world.settle()
    value = await world.get(cid("k-1"))
    assert value.credit.rank == common_pb2.CREDIT_RANK_POOR and value.credit.payment_failures == 1
    assert value.credit.outstanding.amount == "0.00"
    assert value.orders == 2 and value.revenue.amount == "150.00"  # unpaid orders are no revenue
    # A year on, both strikes have left the window; two orders paid, nothing against: GOOD.
    clock.now = NOW + timedelta(days=15 + 366)
    assert await world.recheck() == 1
    await world.settle()
    credit = (await world.get(cid("k-1"))).credit
    assert (credit.rank, list(credit.reasons)) == (common_pb2.CREDIT_RANK_GOOD, [])


async def test_an_imported_old_order_is_not_overdue_the_day_it_arrives(world: World) -> None:
    """An order placed a year ago and sent to the hub today is due 14 days from today."""
    await world.placed(cid("k-2"), "40.00", days_ago=365)
    await world.settle()
    credit = (await world.get(cid("k-2"))).credit
    assert credit.rank == common_pb2.CREDIT_RANK_NEW and credit.overdue_orders == 0
    assert credit.outstanding.amount == "48.00"
    world.hub.runtime.clock.now = NOW + timedelta(days=15)  # type: ignore[attr-defined]
    assert (await world.get(cid("k-2"))).credit.overdue_orders == 1


async def test_flex_pay_instalments_are_owed_and_fall_due_month_by_month(world: World) -> None:
    """An order paid in instalments: what is still owed counts as outstanding, an instalment unpaid
    past its day makes the rank POOR, paid late it is a strike; returned goods are owed no more."""
    clock = world.hub.runtime.clock
    assert isinstance(clock, Clock)
    request = orders_pb2.CreateOrderRequest(
        source_system="webshop",
        external_order_id=f"W-{uuid.uuid4().hex[:10]}",
        customer_id=cid("f-1"),
        channel=order_pb2.ORDER_CHANNEL_TV,
        currency_code="EUR",
        lines=[
            order_pb2.OrderLine(
                sku="TV", quantity=1, unit_price=common_pb2.Money(amount="300.00"), instalments=3
            )
        ],
    )
    order = (await world.orders.CreateOrder(request)).order
    assert order.due_at_checkout.amount == "100.00"
    await world.orders.PayOrder(
        orders_pb2.PayOrderRequest(
            order_id=order.order_id, amount=order.due_at_checkout, payment_reference="p1"
        )
    )
    await world.settle()
    value = await world.get(cid("f-1"))
    assert value.revenue.amount == "300.00"  # the whole order is revenue at checkout
    assert (value.credit.rank, value.credit.outstanding.amount) == (common_pb2.CREDIT_RANK_NEW, "200.00")
    # The second instalment was due on 2026-12-30 (a month after NOW): the day after, it is overdue.
    clock.now = NOW + timedelta(days=31)
    credit = (await world.get(cid("f-1"))).credit
    assert (credit.rank, credit.overdue.amount) == (common_pb2.CREDIT_RANK_POOR, "200.00")
    assert list(credit.reasons) == ["1 order with EUR 200.00 overdue since 2026-12-31"]
    await world.orders.PayInstalment(
        orders_pb2.PayInstalmentRequest(
            order_id=order.order_id,
            number=2,
            amount=common_pb2.Money(amount="100.00", currency_code="EUR"),
            payment_reference="p2",
        )
    )
    await world.settle()
    credit = (await world.get(cid("f-1"))).credit
    assert (credit.rank, credit.outstanding.amount, credit.late_payments) == (
        common_pb2.CREDIT_RANK_FAIR,
        "100.00",
        1,
    )
    # The television comes back: its last instalment is owed no more.
    await world.orders.ShipOrder(orders_pb2.ShipOrderRequest(order_id=order.order_id))
    await world.orders.ReturnOrderLines(
        orders_pb2.ReturnOrderLinesRequest(
            order_id=order.order_id,
            lines=[
                order_pb2.ReturnLine(line_id="1", quantity=1, reason_code=order_pb2.RETURN_REASON_DEFECTIVE)
            ],
        )
    )
    await world.settle()
    value = await world.get(cid("f-1"))
    assert (value.credit.outstanding.amount, value.revenue.amount) == ("0.00", "0.00")


async def test_an_order_priced_later_owes_its_final_total(world: World) -> None:
    request = orders_pb2.CreateOrderRequest(
        source_system="webshop",
        external_order_id=f"W-{uuid.uuid4().hex[:10]}",
        customer_id=cid("p-1"),
        channel=order_pb2.ORDER_CHANNEL_PHONE,
        currency_code="EUR",
        lines=[
            order_pb2.OrderLine(
                sku="SUIT", quantity=1, unit_price=common_pb2.Money(amount="100.00"), price_pending=True
            )
        ],
    )
    order = (await world.orders.CreateOrder(request)).order
    await world.settle()
    assert (await world.get(cid("p-1"))).credit.outstanding.amount == "100.00"
    final = orders_pb2.FinalPrice(
        line_id="1", unit_price=common_pb2.Money(amount="135.00", currency_code="EUR")
    )
    await world.orders.SetFinalPrices(
        orders_pb2.SetFinalPricesRequest(order_id=order.order_id, lines=[final])
    )
    await world.settle()
    assert (await world.get(cid("p-1"))).credit.outstanding.amount == "135.00"
