"""Orders and cases to segment events and campaign messages, on PostgreSQL and RabbitMQ.

Orders and service requests run for real (their outboxes, the exchange, the value component's queues and
inbox); the customer master's consent events are published as it would publish them. A probe subscribes
to ``value.*`` as a delivery system would.
"""

from __future__ import annotations

import asyncio
import importlib.util
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import pytest
from google.protobuf.message import Message
from sqlalchemy import event, insert, update
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncSession

from isthmus.kernel.timestamps import ts
from isthmus.platform import config, hub
from isthmus.platform.db import async_engine
from isthmus.platform.events import Event, Subscription, create_bus
from isthmus.platform.events.testing import FAST, publish
from isthmus.value.tables import cases, customers
from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.customers.v1 import records_pb2
from isthmus_client.api.events.v1 import customers_pb2, value_pb2
from isthmus_client.api.events.v1 import orders_pb2 as order_events
from isthmus_client.api.events.v1 import service_requests_pb2 as sr_events
from isthmus_client.api.orders.v1 import order_pb2, orders_pb2, orders_pb2_grpc
from isthmus_client.api.service_requests.v1 import (
    scripts_pb2,
    scripts_pb2_grpc,
    service_request_pb2,
    service_requests_pb2,
    service_requests_pb2_grpc,
)
from isthmus_client.api.value.v1 import campaigns_pb2 as pb
from isthmus_client.api.value.v1 import campaigns_pb2_grpc, value_pb2_grpc
from isthmus_client.api.value.v1 import value_pb2 as value_api

pytestmark = [pytest.mark.postgres, pytest.mark.rabbitmq]

EMAIL = records_pb2.CONSENT_CHANNEL_EMAIL
GARDEN = '{"field": "categories", "op": "contains", "value": "garden"}'


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Hub:
    h: hub.Hub
    clock: Clock
    orders: orders_pb2_grpc.OrderServiceStub
    cases: service_requests_pb2_grpc.ServiceRequestServiceStub
    segments: campaigns_pb2_grpc.SegmentServiceStub
    campaigns: campaigns_pb2_grpc.CampaignServiceStub
    suggestions: campaigns_pb2_grpc.SuggestionServiceStub
    seen: list[Event]
    channel: grpc.aio.Channel

    async def settle(self) -> None:
        await self.h.runtime.bus.drain(timeout=30)

    def of(self, kind: type[Message]) -> list[Message]:
        return [e.payload for e in self.seen if isinstance(e.payload, kind)]

    async def publish(self, message: Message, aggregate_id: str) -> None:
        """As the producing context (or a delivery system) would publish it."""
        await publish(self.h.runtime.bus, message, aggregate_id, self.clock())

    async def consent(self, customer_id: str, channel: int = EMAIL, granted: bool = True) -> None:
        status = records_pb2.CONSENT_STATUS_GRANTED if granted else records_pb2.CONSENT_STATUS_WITHDRAWN
        await self.publish(
            customers_pb2.ConsentChanged(
                customer_id=customer_id, consent=records_pb2.Consent(channel=channel, status=status)
            ),
            customer_id,
        )

    async def order(self, customer_id: str, *lines: tuple[str, str, str]) -> None:
        """An order placed through the order service: (sku, category, unit price) per line."""
        await self.orders.CreateOrder(
            orders_pb2.CreateOrderRequest(
                source_system="webshop",
                external_order_id=f"W-{uuid.uuid4().hex[:10]}",
                customer_id=customer_id,
                channel=order_pb2.ORDER_CHANNEL_WEB,
                currency_code="EUR",
                lines=[
                    order_pb2.OrderLine(
                        sku=sku, quantity=1, category=cat, unit_price=common_pb2.Money(amount=price)
                    )
                    for sku, cat, price in lines
                ],
            )
        )

    async def complaint(self, customer_id: str) -> str:
        case = (
            await self.cases.OpenServiceRequest(
                service_requests_pb2.OpenServiceRequestRequest(
                    customer_id=customer_id,
                    channel=service_request_pb2.CHANNEL_PHONE,
                    kind=service_request_pb2.SERVICE_REQUEST_KIND_COMPLAINT,
                    priority=service_request_pb2.PRIORITY_NORMAL,
                    subject="The mower arrived broken",
                    request_id=uuid.uuid4().hex,
                )
            )
        ).service_request
        return case.service_request_id

    async def cart(self, customer_id: str, cart_id: str) -> bool:
        response = await self.campaigns.RecordAbandonedCart(
            pb.RecordAbandonedCartRequest(
                customer_id=customer_id,
                source_system="webshop",
                external_cart_id=cart_id,
                lines=[pb.CartLine(sku="MOWER", description="Lawn mower", quantity=1)],
                total=common_pb2.Money(amount="249.00", currency_code="EUR"),
                abandon_time=ts(self.clock()),
                recovery_url=f"https://shop.example/cart/{cart_id}",
            )
        )
        return response.outcome == common_pb2.WRITE_OUTCOME_APPLIED

    async def live_campaign(self, **fields: object) -> str:
        created = await self.campaigns.CreateCampaign(
            pb.CreateCampaignRequest(
                campaign=pb.Campaign(**{"channel": EMAIL, "template_id": "tpl", **fields})
            )  # type: ignore[arg-type]
        )
        campaign_id = created.campaign.campaign_id
        await self.campaigns.TestCampaign(pb.TestCampaignRequest(campaign_id=campaign_id))
        await self.campaigns.PromoteCampaign(pb.PromoteCampaignRequest(campaign_id=campaign_id))
        return campaign_id


@pytest.fixture
async def value_hub(pg_url: str, amqp_url: str) -> AsyncIterator[Hub]:
    env = {
        "ISTHMUS_DATABASE_URL": pg_url,
        "ISTHMUS_AUTH_DISABLED": "true",
        "ISTHMUS_GRPC_PORT": "0",
        "ISTHMUS_METRICS_PORT": "0",
        # Refits only when a test asks (tiers must not move under a test).
        "ISTHMUS_VALUE_FIRST_REFIT_SECONDS": "0",
    }
    if importlib.util.find_spec("isthmus.platform.events.rabbit") is not None:
        env["ISTHMUS_AMQP_URL"] = amqp_url
    settings = config.load(env)
    bus = create_bus(settings, FAST)
    seen: list[Event] = []

    async def probe(session: AsyncSession, event: Event) -> None:
        seen.append(event)

    components = ["orders", "service-requests", "value"]
    await asyncio.to_thread(hub.migrate, settings, components)
    probe_engine = async_engine(settings, "value")
    bus.subscribe("probe", probe_engine, Subscription(uuid.uuid4().hex[:8], ["value.*"], probe))
    clock = Clock(datetime(2026, 5, 4, 9, 0, tzinfo=UTC))
    try:
        async with hub.running(settings, components, clock=clock, bus=bus) as h, h.channel() as channel:
            yield Hub(
                h,
                clock,
                orders_pb2_grpc.OrderServiceStub(channel),
                service_requests_pb2_grpc.ServiceRequestServiceStub(channel),
                campaigns_pb2_grpc.SegmentServiceStub(channel),
                campaigns_pb2_grpc.CampaignServiceStub(channel),
                campaigns_pb2_grpc.SuggestionServiceStub(channel),
                seen,
                channel,
            )
    finally:
        await probe_engine.dispose()


def _ids() -> tuple[str, str, str, str]:
    """Golden customer ids (UUIDs): fine, without consent, complaining, suppressed."""
    return (str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4()))


async def test_orders_and_cases_become_segment_events_and_campaign_messages_within_consent(
    value_hub: Hub,
) -> None:
    v = value_hub
    ok, noconsent, complaining, suppressed = _ids()
    for customer in (ok, complaining, suppressed):
        await v.consent(customer)
    await v.consent(noconsent, channel=records_pb2.CONSENT_CHANNEL_SMS)
    await v.settle()
    await v.publish(
        value_pb2.CampaignMessageResponded(),  # an empty response is ignored, not dead-lettered
        ok,
    )

    segment = (await v.segments.CreateSegment(pb.CreateSegmentRequest(name="Gardeners", rule=GARDEN))).segment
    await v.segments.PublishSegment(pb.PublishSegmentRequest(segment_id=segment.segment_id))
    welcome = await v.live_campaign(
        name="Welcome gardeners",
        trigger=pb.CAMPAIGN_TRIGGER_SEGMENT_ENTERED,
        segment_id=segment.segment_id,
    )
    carts = await v.live_campaign(
        name="Your cart misses you",
        trigger=pb.CAMPAIGN_TRIGGER_CART_ABANDONED,
        schedule=pb.CampaignSchedule(delay={"seconds": 3600}),
    )

    await v.complaint(complaining)
    await v.settle()
    # suppression as the service requests context states it
    await v.publish(sr_events.ContactSuppressionChanged(customer_id=suppressed, suppressed=True), suppressed)
    await v.settle()
    for customer in (ok, noconsent, complaining, suppressed):
        await v.order(customer, ("SEEDS", "garden", "4.50"))
    await v.settle()

    entered = {e.customer_id for e in v.of(value_pb2.SegmentEntered) if e.segment_id == segment.segment_id}
    assert entered == {ok, noconsent, complaining, suppressed}
    members = await v.segments.ListSegmentMembers(pb.ListSegmentMembersRequest(segment_id=segment.segment_id))
    assert {m.customer_id for m in members.segment_members} >= entered

    for customer in (ok, noconsent, complaining, suppressed):
        assert await v.cart(customer, f"cart-{customer}")
    assert not await v.cart(ok, f"cart-{ok}")  # the same cart again: recorded once
    await v.settle()

    requested = [m for m in v.of(value_pb2.CampaignMessageRequested) if m.customer_id in entered]
    assert sorted((m.campaign_id, m.customer_id) for m in requested) == sorted([(welcome, ok), (carts, ok)])
    cart_message = next(m for m in requested if m.campaign_id == carts)
    assert cart_message.variables["recovery_url"] == f"https://shop.example/cart/cart-{ok}"
    assert cart_message.send_after_time.ToDatetime(tzinfo=UTC) == v.clock() + timedelta(hours=1)

    report = await v.campaigns.GetCampaignReport(pb.GetCampaignReportRequest(campaign_id=carts))
    held = {c.outcome: c.count for c in report.held_back}
    assert report.sent == 1 and report.control == 0
    assert held == {
        pb.CAMPAIGN_OUTCOME_NO_CONSENT: 1,
        pb.CAMPAIGN_OUTCOME_OPEN_COMPLAINT: 1,
        pb.CAMPAIGN_OUTCOME_SUPPRESSED: 1,
    }

    listed = await v.campaigns.ListCampaignDecisions(
        pb.ListCampaignDecisionsRequest(campaign_id=carts, page_size=2)
    )
    more = await v.campaigns.ListCampaignDecisions(
        pb.ListCampaignDecisionsRequest(campaign_id=carts, page_size=2, page_token=listed.next_page_token)
    )
    decided = {d.customer_id: d for d in [*listed.campaign_decisions, *more.campaign_decisions]}
    assert len(decided) == 4 and not more.next_page_token
    assert decided[ok].message_id == cart_message.message_id
    assert decided[complaining].outcome == pb.CAMPAIGN_OUTCOME_OPEN_COMPLAINT
    assert "no sales pitch" in decided[complaining].reason and not decided[complaining].message_id

    # once per customer and campaign: a second cart of the same customer is capped
    assert await v.cart(ok, f"cart2-{ok}")
    await v.settle()
    requested = [m for m in v.of(value_pb2.CampaignMessageRequested) if m.customer_id == ok]
    assert len(requested) == 2
    report = await v.campaigns.GetCampaignReport(pb.GetCampaignReportRequest(campaign_id=carts))
    assert {c.outcome: c.count for c in report.held_back}[pb.CAMPAIGN_OUTCOME_FREQUENCY_CAP] == 1

    # the delivery system reports the message opened; a purchase within the window counts as bought
    await v.publish(
        value_pb2.CampaignMessageResponded(
            message_id=cart_message.message_id,
            response=value_pb2.CampaignMessageResponded.MESSAGE_RESPONSE_OPENED,
        ),
        ok,
    )
    v.clock.now += timedelta(days=2)
    await v.order(ok, ("MOWER", "garden", "249.00"))
    await v.settle()
    report = await v.campaigns.GetCampaignReport(pb.GetCampaignReportRequest(campaign_id=carts))
    assert (report.opened, report.bought_sent) == (1, 1)

    campaign = (await v.campaigns.GetCampaign(pb.GetCampaignRequest(campaign_id=carts))).campaign
    assert [a.action for a in campaign.audit_entries] == ["created", "tested", "promoted"]


async def test_withdrawn_consent_and_lifted_suppression_are_followed(value_hub: Hub) -> None:
    v = value_hub
    customer = str(uuid.uuid4())
    carts = await v.live_campaign(
        name="Carts, weekly at most",
        trigger=pb.CAMPAIGN_TRIGGER_CART_ABANDONED,
        frequency_cap={"seconds": 7 * 86400},
    )

    def sent() -> list[str]:
        return [
            m.reference
            for m in v.of(value_pb2.CampaignMessageRequested)
            if m.customer_id == customer and m.campaign_id == carts
        ]

    await v.consent(customer)
    await v.consent(customer, granted=False)
    await v.settle()
    await v.cart(customer, "withdrawn")
    await v.settle()
    assert sent() == []

    await v.consent(customer)
    await v.settle()
    await v.cart(customer, "granted")
    await v.settle()
    assert sent() == ["cart:webshop:granted"]

    await v.publish(
        sr_events.ContactSuppressionChanged(customer_id=customer, suppressed=True, reason="open complaint"),
        customer,
    )
    await v.settle()
    v.clock.now += timedelta(days=8)  # past the weekly cap, but suppressed
    await v.cart(customer, "while-suppressed")
    await v.settle()
    assert sent() == ["cart:webshop:granted"]

    await v.publish(
        sr_events.ContactSuppressionChanged(
            customer_id=customer, suppressed=False, reason="complaints resolved"
        ),
        customer,
    )
    await v.settle()
    await v.cart(customer, "lifted")
    await v.settle()
    assert sent() == ["cart:webshop:granted", "cart:webshop:lifted"]


async def test_a_message_due_later_is_withdrawn_when_a_complaint_opens_first(value_hub: Hub) -> None:
    v = value_hub
    customer, other, quiet = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    tomorrow = await v.live_campaign(
        name="Carts, a day later",
        trigger=pb.CAMPAIGN_TRIGGER_CART_ABANDONED,
        schedule=pb.CampaignSchedule(delay={"seconds": 86400}),
    )
    for who in (customer, other, quiet):
        await v.consent(who)
    await v.settle()
    for who in (customer, other, quiet):
        await v.cart(who, f"later-{who[:6]}")
    await v.settle()
    requested = {
        m.customer_id: m.message_id
        for m in v.of(value_pb2.CampaignMessageRequested)
        if m.campaign_id == tomorrow
    }
    assert set(requested) == {customer, other, quiet}

    await v.complaint(customer)  # before the message is due
    await v.publish(sr_events.ContactSuppressionChanged(customer_id=quiet, suppressed=True), quiet)
    await v.settle()
    withdrawn = [m for m in v.of(value_pb2.CampaignMessageWithdrawn) if m.campaign_id == tomorrow]
    assert sorted((m.message_id, m.customer_id, m.reason) for m in withdrawn) == sorted(
        [(requested[customer], customer, "open complaint"), (requested[quiet], quiet, "contact suppressed")]
    )
    decisions = await v.campaigns.ListCampaignDecisions(pb.ListCampaignDecisionsRequest(campaign_id=tomorrow))
    outcomes = {d.customer_id: d.outcome for d in decisions.campaign_decisions}
    assert outcomes == {
        customer: pb.CAMPAIGN_OUTCOME_WITHDRAWN,
        other: pb.CAMPAIGN_OUTCOME_SEND,
        quiet: pb.CAMPAIGN_OUTCOME_WITHDRAWN,
    }

    await v.complaint(customer)  # a second complaint: nothing left to withdraw
    await v.settle()
    assert len([m for m in v.of(value_pb2.CampaignMessageWithdrawn) if m.campaign_id == tomorrow]) == 2


async def test_service_messages_tell_of_a_backorder_and_confirm_changed_details_whatever_the_marketing_rules(
    value_hub: Hub,
) -> None:
    v = value_hub
    customer = str(uuid.uuid4())
    backorders = await v.live_campaign(name="Backorder notice", trigger=pb.CAMPAIGN_TRIGGER_ORDER_BACKORDERED)
    details = await v.live_campaign(name="Details confirmation", trigger=pb.CAMPAIGN_TRIGGER_DETAILS_CHANGED)
    await v.complaint(customer)  # and no marketing consent: neither holds a service message back
    await v.settle()

    order = order_pb2.Order(order_id=str(uuid.uuid4()), customer_id=customer, version=3)
    late = order_pb2.OrderLine(sku="MOWER", quantity=1)
    for version in (3, 5):  # two backorders of one order: two notices
        order.version = version
        await v.publish(
            order_events.OrderBackordered(
                order=order, backordered_lines=[late], reason="supplier late", expect_time=ts(v.clock())
            ),
            order.order_id,
        )
    golden = records_pb2.Customer(customer_id=customer, version=7)
    by_erp = records_pb2.SourceReference(source_system="erp", source_id="K-1")
    await v.publish(
        customers_pb2.CustomerUpdated(
            customer=golden, changed_fields=["emails[0].address"], source_record=by_erp
        ),
        customer,
    )
    golden.version = 8  # changed by a merge or a household move, not by a source: nothing to confirm
    await v.publish(
        customers_pb2.CustomerUpdated(customer=golden, changed_fields=["phones[0].number"]), customer
    )
    await v.settle()

    requested = [m for m in v.of(value_pb2.CampaignMessageRequested) if m.customer_id == customer]
    notices = [m for m in requested if m.campaign_id == backorders]
    assert [(m.reference, m.variables["skus"], m.purpose) for m in notices] == [
        (f"backorder:{order.order_id}:3", "MOWER", pb.CAMPAIGN_PURPOSE_SERVICE),
        (f"backorder:{order.order_id}:5", "MOWER", pb.CAMPAIGN_PURPOSE_SERVICE),
    ]
    [confirmed] = [m for m in requested if m.campaign_id == details]
    assert (confirmed.variables["changed"], confirmed.variables["source_system"]) == (
        "emails[0].address",
        "erp",
    )

    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await v.live_campaign(
            name="Sampled", trigger=pb.CAMPAIGN_TRIGGER_ORDER_BACKORDERED, control_percent=10
        )
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "campaign.control_percent" in refused.value.details()


async def test_suggestions_from_what_other_customers_bought(value_hub: Hub) -> None:
    v = value_hub
    tag = uuid.uuid4().hex[:6]
    tent, stove, mug, tent_pro = (f"{n}-{tag}" for n in ("TENT", "STOVE", "MUG", "TENTPRO"))
    for i in range(6):
        lines = [(tent, "camping", "200.00"), (stove, "cooking", "60.00")]
        if i < 3:
            lines.append((tent_pro, "camping", "450.00"))
        await v.order(str(uuid.uuid4()), *lines)
    for _ in range(6):
        await v.order(str(uuid.uuid4()), (mug, "cooking", "8.00"))
    me = str(uuid.uuid4())
    await v.order(me, (tent, "camping", "200.00"))
    await v.settle()
    answer = await v.suggestions.GetSuggestions(pb.GetSuggestionsRequest(customer_id=me))
    found = answer.suggestions
    kinds = {s.sku: s.kind for s in found}
    assert kinds[stove] == pb.SUGGESTION_KIND_CROSS_SELL
    assert kinds[tent_pro] == pb.SUGGESTION_KIND_UP_SELL
    assert tent not in kinds and mug not in kinds
    assert found and not answer.withheld_reason
    # An open complaint (here: the suppression it causes): no sales pitch, however good the match.
    await v.publish(
        sr_events.ContactSuppressionChanged(customer_id=me, suppressed=True, reason="open complaint"), me
    )
    await v.settle()
    held = await v.suggestions.GetSuggestions(pb.GetSuggestionsRequest(customer_id=me))
    assert (list(held.suggestions), held.withheld_reason) == ([], "contact suppressed")
    also = (await v.suggestions.GetAlsoBought(pb.GetAlsoBoughtRequest(sku=tent))).associations
    assert {a.also_bought_sku for a in also} == {stove, tent_pro}
    assert all(a.lift > 1 for a in also)


async def test_value_scores_move_customers_into_segments_and_a_top_customers_complaint_escalates(
    value_hub: Hub,
) -> None:
    v = value_hub
    big, small = str(uuid.uuid4()), str(uuid.uuid4())
    created = await v.segments.CreateSegment(
        pb.CreateSegmentRequest(
            name="Worth a call", rule='{"field": "historical_value", "op": "gte", "value": "500"}'
        )
    )
    segment_id = created.segment.segment_id
    await v.segments.PublishSegment(pb.PublishSegmentRequest(segment_id=segment_id))
    escalate = await v.live_campaign(
        name="Top customer complains",
        trigger=pb.CAMPAIGN_TRIGGER_HIGH_VALUE_COMPLAINT,
        trigger_tiers=["A"],
        channel=records_pb2.CONSENT_CHANNEL_PHONE,
    )
    for customer, price in ((big, "900.00"), (small, "20.00")):
        made = await v.orders.CreateOrder(
            orders_pb2.CreateOrderRequest(
                source_system="webshop",
                external_order_id=f"W-{uuid.uuid4().hex[:10]}",
                customer_id=customer,
                channel=order_pb2.ORDER_CHANNEL_WEB,
                currency_code="EUR",
                lines=[
                    order_pb2.OrderLine(sku="SOFA", quantity=1, unit_price=common_pb2.Money(amount=price))
                ],
            )
        )
        await v.orders.PayOrder(
            orders_pb2.PayOrderRequest(
                order_id=made.order.order_id,
                expected_version=made.order.version,
                amount=made.order.total,
                payment_reference=f"psp-{customer}",
            )
        )
    await v.settle()
    # The value context scored the paid orders (value.CustomerValueChanged); the segment followed.
    entered = {e.customer_id for e in v.of(value_pb2.SegmentEntered) if e.segment_id == segment_id}
    assert big in entered and small not in entered

    # Tiers come with a refit; the biggest customer is in tier A when the complaint comes in.
    await v.h.runtime.bus.drain(timeout=30)
    values = value_pb2_grpc.ValueServiceStub(v.channel)
    await values.RefitValueModel(value_api.RefitValueModelRequest())
    await v.settle()
    got = await values.GetCustomerValue(value_api.GetCustomerValueRequest(customer_id=big))
    assert got.customer_value.tier == common_pb2.VALUE_TIER_A
    await v.complaint(big)
    await v.complaint(small)
    await v.settle()
    # Three hops (the case, the value consumer, the probe): settle until the probe has heard.
    for _ in range(5):
        escalations = [m for m in v.of(value_pb2.CampaignMessageRequested) if m.campaign_id == escalate]
        if escalations:
            break
        await v.settle()
    # No consent for the phone is needed: the message goes to service staff, not to the customer.
    assert [(m.customer_id, m.purpose) for m in escalations] == [(big, pb.CAMPAIGN_PURPOSE_ESCALATION)]


async def test_a_complaint_escalates_on_the_tier_the_customer_had_when_it_came_in(value_hub: Hub) -> None:
    """The case's own cost may take a customer out of tier A before the campaign side hears of the case
    (two consumers of one event): the tier the value side counted the case at decides, not the one after."""
    v = value_hub
    demoted, promoted = str(uuid.uuid4()), str(uuid.uuid4())
    escalate = await v.live_campaign(
        name="Top customer complains, counted first",
        trigger=pb.CAMPAIGN_TRIGGER_HIGH_VALUE_COMPLAINT,
        trigger_tiers=["A"],
        channel=records_pb2.CONSENT_CHANNEL_PHONE,
    )
    for customer in (demoted, promoted):
        await v.order(customer, ("SOFA", "home", "300.00"))
    await v.settle()
    case_ids = {demoted: str(uuid.uuid4()), promoted: str(uuid.uuid4())}
    engine = async_engine(v.h.runtime.settings, "value")
    try:
        async with engine.begin() as conn:
            # As the value consumer leaves it when it counted each case first: tier then, tier now.
            for customer, then, now in ((demoted, 1, 2), (promoted, 3, 1)):
                mine = customers.c.customer_id == customer
                await conn.execute(update(customers).where(mine).values(tier=now))
                await conn.execute(
                    insert(cases).values(
                        service_request_id=case_ids[customer],
                        customer_id=customer,
                        origin_customer_id=customer,
                        opened_at=v.clock(),
                        kind="complaint",
                        cost_minor=2500,
                        tier_at_open=then,
                    )
                )
    finally:
        await engine.dispose()
    for customer, case_id in case_ids.items():
        case = service_request_pb2.ServiceRequest(
            service_request_id=case_id,
            customer_id=customer,
            kind=service_request_pb2.SERVICE_REQUEST_KIND_COMPLAINT,
            state=service_request_pb2.SERVICE_REQUEST_STATE_NEW,
            subject="Sofa leg broke",
            open_time=ts(v.clock()),
        )
        await v.publish(sr_events.ServiceRequestOpened(service_request=case), case_id)
    await v.settle()
    escalations = [m for m in v.of(value_pb2.CampaignMessageRequested) if m.campaign_id == escalate]
    assert [(m.customer_id, m.reference) for m in escalations] == [(demoted, f"case:{case_ids[demoted]}")]


async def test_a_segment_created_and_published_twice_by_request_id_is_made_once(value_hub) -> None:
    """House rule 4: the retry of a write that timed out gets the first response, not a second segment."""
    v = value_hub
    create = pb.CreateSegmentRequest(
        name=f"Retried {uuid.uuid4().hex[:6]}",
        rule='{"field": "historical_value", "op": "gte", "value": "1"}',
        request_id=str(uuid.uuid4()),
    )
    first, again = await v.segments.CreateSegment(create), await v.segments.CreateSegment(create)
    assert again.segment == first.segment
    assert (first.outcome, again.outcome) == (
        common_pb2.WRITE_OUTCOME_APPLIED,
        common_pb2.WRITE_OUTCOME_REPLAYED,
    )
    publish = pb.PublishSegmentRequest(segment_id=first.segment.segment_id, request_id=str(uuid.uuid4()))
    published = await v.segments.PublishSegment(publish)
    replayed = await v.segments.PublishSegment(publish)
    assert replayed.outcome == common_pb2.WRITE_OUTCOME_REPLAYED
    assert (replayed.segment, replayed.entered) == (published.segment, published.entered)
    create.name = "Another name"
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await v.segments.CreateSegment(create)
    assert caught.value.code() == grpc.StatusCode.ALREADY_EXISTS and "name differs" in caught.value.details()


async def test_campaigns_are_listed_page_by_page_each_as_get_campaign_reads_it(value_hub) -> None:
    """A page of campaigns is read with one statement, not one or two a campaign; each listed campaign
    is what GetCampaign says of it (but for the audit trail, which only GetCampaign carries)."""
    v = value_hub
    tag = uuid.uuid4().hex[:6]
    mine = []
    for n in range(3):
        created = await v.campaigns.CreateCampaign(
            pb.CreateCampaignRequest(
                campaign=pb.Campaign(
                    name=f"Listed {tag} {n}",
                    trigger=pb.CAMPAIGN_TRIGGER_CART_ABANDONED,
                    channel=EMAIL,
                    template_id="tpl",
                )
            )
        )
        mine.append(created.campaign.campaign_id)
    await v.settle()
    lookups: list[str] = []

    def lookup(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if "campaigns.campaign_id = " in statement:
            lookups.append(statement)

    listed: dict[str, pb.Campaign] = {}
    token = ""
    event.listen(Engine, "before_cursor_execute", lookup)
    try:
        while True:
            page = await v.campaigns.ListCampaigns(pb.ListCampaignsRequest(page_size=2, page_token=token))
            listed.update((c.campaign_id, c) for c in page.campaigns)
            token = page.next_page_token
            if not token:
                break
    finally:
        event.remove(Engine, "before_cursor_execute", lookup)
    assert not lookups, lookups
    for campaign_id in mine:
        alone = (await v.campaigns.GetCampaign(pb.GetCampaignRequest(campaign_id=campaign_id))).campaign
        assert alone.audit_entries and alone.create_time.seconds
        del alone.audit_entries[:]
        assert listed[campaign_id] == alone


async def test_segments_are_listed_page_by_page_each_as_get_segment_reads_it(value_hub) -> None:
    """A page of segments is read with a few statements however many it holds, not three a segment;
    each listed segment (its published version, its draft, its member count) is what GetSegment says."""
    v = value_hub
    tag = uuid.uuid4().hex[:6]
    rule = '{"field": "historical_value", "op": "gte", "value": "0"}'

    async def create(name: str) -> str:
        made = await v.segments.CreateSegment(pb.CreateSegmentRequest(name=f"{name} {tag}", rule=rule))
        return made.segment.segment_id

    for customer_id in (str(uuid.uuid4()), str(uuid.uuid4())):
        await v.order(customer_id, ("SEEDS", "garden", "4.50"))
    await v.settle()
    draft_only, published, revised = await create("Draft"), await create("Published"), await create("Revised")
    for segment_id in (published, revised):
        await v.segments.PublishSegment(pb.PublishSegmentRequest(segment_id=segment_id))
    await v.segments.ReviseSegment(
        pb.ReviseSegmentRequest(segment_id=revised, name=f"Revised again {tag}", rule=GARDEN)
    )
    await v.settle()
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if "segment_versions" in statement or "segment_members" in statement:
            statements.append(statement)

    async def page(size: int, token: str = "") -> tuple[pb.ListSegmentsResponse, int]:
        statements.clear()
        event.listen(Engine, "before_cursor_execute", count)
        try:
            got = await v.segments.ListSegments(pb.ListSegmentsRequest(page_size=size, page_token=token))
        finally:
            event.remove(Engine, "before_cursor_execute", count)
        return got, len(statements)

    listed: dict[str, pb.Segment] = {}
    token = ""
    while True:
        got, _ = await page(2, token)
        listed.update((s.segment_id, s) for s in got.segments)
        token = got.next_page_token
        if not token:
            break
    for segment_id in (draft_only, published, revised):
        alone = (await v.segments.GetSegment(pb.GetSegmentRequest(segment_id=segment_id))).segment
        assert listed[segment_id] == alone
    assert listed[draft_only].draft.version and not listed[draft_only].HasField("published")
    assert listed[published].published.version and not listed[published].HasField("draft")
    assert listed[published].member_count > 0
    assert (listed[revised].published.version, listed[revised].draft.version) == (1, 2)
    (one, one_statements), (three, three_statements) = await page(1), await page(3)
    assert (len(one.segments), len(three.segments)) == (1, 3)
    assert one_statements == three_statements, (one_statements, three_statements)


async def test_publishing_a_segment_and_testing_its_campaigns_cost_the_same_statements_for_2_or_7_customers(
    value_hub,
) -> None:
    """Publishing a segment decides every customer who enters it (membership, trigger, each answering
    campaign's decision and message) a thousand at a time, and testing a campaign reads its candidates'
    contacts together: neither runs statements a customer. What each decides is as one by one."""
    v = value_hub
    tag = uuid.uuid4().hex[:8]
    few, many = [str(uuid.uuid4()) for _ in range(2)], [str(uuid.uuid4()) for _ in range(7)]
    for customer in (*few, *many):
        await v.consent(customer)
    await v.settle()
    for customer in few:
        await v.order(customer, ("SEEDS", f"few-{tag}", "4.50"))
    for customer in many:
        await v.order(customer, ("SEEDS", f"many-{tag}", "4.50"))
    await v.settle()
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if "segment_members" in statement or "campaign_decisions" in statement:
            statements.append(statement)

    async def counted(call: Any) -> tuple[Any, int]:
        statements.clear()
        event.listen(Engine, "before_cursor_execute", count)
        try:
            return await call, len(statements)
        finally:
            event.remove(Engine, "before_cursor_execute", count)

    async def audience(customers: list[str], category: str) -> tuple[int, int, int]:
        rule = f'{{"field": "categories", "op": "contains", "value": "{category}"}}'
        made = await v.segments.CreateSegment(pb.CreateSegmentRequest(name=f"Buyers {category}", rule=rule))
        segment_id = made.segment.segment_id
        welcome = await v.live_campaign(
            name=f"Welcome {category}", trigger=pb.CAMPAIGN_TRIGGER_SEGMENT_ENTERED, segment_id=segment_id
        )
        published, publishing = await counted(
            v.segments.PublishSegment(pb.PublishSegmentRequest(segment_id=segment_id))
        )
        assert published.entered == len(customers)
        await v.settle()
        decided = await v.campaigns.ListCampaignDecisions(
            pb.ListCampaignDecisionsRequest(campaign_id=welcome, page_size=50)
        )
        assert {d.customer_id for d in decided.campaign_decisions} == set(customers)
        assert {d.outcome for d in decided.campaign_decisions} == {pb.CAMPAIGN_OUTCOME_SEND}
        requested = [
            m.customer_id for m in v.of(value_pb2.CampaignMessageRequested) if m.campaign_id == welcome
        ]
        assert sorted(requested) == sorted(customers)
        # A second campaign for the same segment, tested over its members: all of them reached by the
        # first campaign, none by this one yet.
        draft = await v.campaigns.CreateCampaign(
            pb.CreateCampaignRequest(
                campaign=pb.Campaign(
                    name=f"Again {category}",
                    trigger=pb.CAMPAIGN_TRIGGER_SEGMENT_ENTERED,
                    segment_id=segment_id,
                    channel=EMAIL,
                    template_id="tpl",
                )
            )
        )
        tested, testing = await counted(
            v.campaigns.TestCampaign(pb.TestCampaignRequest(campaign_id=draft.campaign.campaign_id))
        )
        assert tested.result.evaluated == len(customers)
        assert {(c.outcome, c.count) for c in tested.result.outcome_counts} == {
            (pb.CAMPAIGN_OUTCOME_SEND, len(customers))
        }
        return publishing, testing, len(customers)

    assert (await audience(few, f"few-{tag}"))[:2] == (await audience(many, f"many-{tag}"))[:2]


async def test_an_agents_script_captures_a_trait_that_moves_the_customer_into_a_segment(
    value_hub: Hub,
) -> None:
    """First-time-buyer information captured on the phone: the script's answer becomes the customer's
    trait (service_requests.CustomerTraitsCaptured, through RabbitMQ), which a segment tests."""
    v = value_hub
    scripts = scripts_pb2_grpc.ScriptServiceStub(v.channel)
    heard = scripts_pb2.ScriptStep(
        step_id="heard",
        prompt="Where did you hear of us?",
        capture="heard_from",
        answers=[scripts_pb2.ScriptAnswer(value="tv"), scripts_pb2.ScriptAnswer(value="friend")],
    )
    script = (
        await scripts.CreateScript(scripts_pb2.CreateScriptRequest(name="Welcome", steps=[heard]))
    ).script
    await scripts.PublishScript(scripts_pb2.PublishScriptRequest(script_id=script.script_id, version=1))
    rule = '{"field": "traits.heard_from", "op": "eq", "value": "TV"}'
    segment = (await v.segments.CreateSegment(pb.CreateSegmentRequest(name="Heard on TV", rule=rule))).segment
    await v.segments.PublishSegment(pb.PublishSegmentRequest(segment_id=segment.segment_id))

    viewer, friend, rehearsed = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    for customer, answer, rehearsal in (
        (viewer, "tv", False),
        (friend, "friend", False),
        (rehearsed, "tv", True),
    ):
        run = (
            await scripts.StartScriptRun(
                scripts_pb2.StartScriptRunRequest(
                    script_id=script.script_id,
                    customer_id=customer,
                    direction=service_request_pb2.DIRECTION_INBOUND,
                    version=1,
                    rehearsal=rehearsal,
                )
            )
        ).run
        await scripts.AnswerScriptStep(
            scripts_pb2.AnswerScriptStepRequest(run_id=run.run_id, step_id="heard", answer=answer)
        )
    await v.settle()

    entered = {e.customer_id for e in v.of(value_pb2.SegmentEntered) if e.segment_id == segment.segment_id}
    assert entered == {viewer}  # a rehearsal captures nothing
    members = await v.segments.ListSegmentMembers(pb.ListSegmentMembersRequest(segment_id=segment.segment_id))
    assert [m.customer_id for m in members.segment_members] == [viewer]

    # Asked again, the viewer says a friend told them: the later answer replaces the trait.
    run = (
        await scripts.StartScriptRun(
            scripts_pb2.StartScriptRunRequest(
                script_id=script.script_id,
                customer_id=viewer,
                direction=service_request_pb2.DIRECTION_INBOUND,
            )
        )
    ).run
    await scripts.AnswerScriptStep(
        scripts_pb2.AnswerScriptStepRequest(run_id=run.run_id, step_id="heard", answer="friend")
    )
    await v.settle()
    left = {e.customer_id for e in v.of(value_pb2.SegmentLeft) if e.segment_id == segment.segment_id}
    assert left == {viewer}
