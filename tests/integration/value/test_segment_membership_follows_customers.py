"""Segment membership follows the customer master's merges, unmerges and erasures (SQLite, real tables)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal

from isthmus.platform import config
from isthmus.platform.db import async_engine, session_factory
from isthmus.platform.hub import migrate
from isthmus.value import segments
from isthmus.value.engagement import Engagement
from isthmus.value.engagement_consumers import on_customer_event, on_value_event
from isthmus.value.engagement_events import OutboxPublisher, value_facts_reader
from isthmus_client.api.customers.v1 import records_pb2
from isthmus_client.api.events.v1 import customers_pb2
from isthmus_client.api.events.v1 import value_pb2 as value_events
from isthmus_client.api.value.v1 import value_pb2

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
EMAIL = records_pb2.Consent(
    channel=records_pb2.CONSENT_CHANNEL_EMAIL, status=records_pb2.CONSENT_STATUS_GRANTED
)


async def test_merged_and_erased_customers_leave_and_restored_ones_come_back(tmp_path) -> None:
    settings = config.load({"ISTHMUS_DATA_DIR": str(tmp_path)})
    migrate(settings, ["value"])
    engine = async_engine(settings, "value")
    sessions = session_factory(engine)
    publisher, facts = OutboxPublisher(), value_facts_reader("EUR")

    async def apply(*messages: object) -> list[str]:
        async with sessions() as session, session.begin():
            e = Engagement(session, lambda: NOW, publisher, facts)
            for message in messages:
                await on_customer_event(e, message)
            return [c for c, _, _ in await e.members(segment_id, "", 100)]

    try:
        async with sessions() as session, session.begin():
            e = Engagement(session, lambda: NOW, publisher, facts)
            rule = segments.parse_rule({"field": "consents", "op": "contains", "value": "EMAIL"})
            segment_id = await e.create_segment("Mailable", "", rule)
            await e.publish_segment(segment_id)

        created = [
            customers_pb2.CustomerCreated(customer=records_pb2.Customer(customer_id=c, consents=[EMAIL]))
            for c in ("anna", "anna-dup", "jonas")
        ]
        assert await apply(*created) == ["anna", "anna-dup", "jonas"]
        merged = customers_pb2.CustomersMerged(
            surviving_id="anna",
            merged_ids=["anna-dup"],
            customer=records_pb2.Customer(customer_id="anna", consents=[EMAIL]),
        )
        assert await apply(merged) == ["anna", "jonas"]
        assert await apply(customers_pb2.CustomerUnmerged(from_id="anna", restored_ids=["anna-dup"])) == [
            "anna",
            "anna-dup",
            "jonas",
        ]
        assert await apply(customers_pb2.CustomerErased(customer_id="jonas")) == ["anna", "anna-dup"]
        withdrawn = customers_pb2.ConsentChanged(
            customer_id="anna",
            consent=records_pb2.Consent(
                channel=records_pb2.CONSENT_CHANNEL_EMAIL, status=records_pb2.CONSENT_STATUS_WITHDRAWN
            ),
        )
        assert await apply(withdrawn) == ["anna-dup"]
        async with sessions() as session:
            e = Engagement(session, lambda: NOW, publisher, facts)
            assert (
                await e.contact("jonas")
            ).consents == frozenset()  # erased: nothing kept to contact them by
    finally:
        await engine.dispose()


async def test_value_scores_that_come_before_the_profile_still_put_the_customer_in_the_segment(
    tmp_path,
) -> None:
    """Two consumers, any order: the value score (value.CustomerValueChanged) may be handled before the
    first order or customer event makes the customer's profile; the segment on value must still hold them."""
    settings = config.load({"ISTHMUS_DATA_DIR": str(tmp_path)})
    migrate(settings, ["value"])
    engine = async_engine(settings, "value")
    sessions = session_factory(engine)
    publisher = OutboxPublisher()

    async def scores(session: object, ids: Sequence[str]) -> Mapping[str, Mapping[str, object]]:
        return {i: {"historical_value": Decimal("900.00")} for i in ids if i == "vera"}

    async def apply(handle: Callable[[Engagement], Awaitable[None]]) -> list[str]:
        async with sessions() as session, session.begin():
            e = Engagement(session, lambda: NOW, publisher, scores)
            await handle(e)
            return [c for c, _, _ in await e.members(segment_id, "", 100)]

    try:
        async with sessions() as session, session.begin():
            e = Engagement(session, lambda: NOW, publisher, scores)
            rule = segments.parse_rule({"field": "historical_value", "op": "gte", "value": "500"})
            segment_id = await e.create_segment("Worth a call", "", rule)
            await e.publish_segment(segment_id)
        valued = value_events.CustomerValueChanged(value=value_pb2.CustomerValue(customer_id="vera"))
        assert await apply(lambda e: on_value_event(e, valued, NOW)) == ["vera"]
        created = customers_pb2.CustomerCreated(customer=records_pb2.Customer(customer_id="vera"))
        assert await apply(lambda e: on_customer_event(e, created)) == ["vera"]
        # The other order: the profile first (from the customer event), the score after.
        other = customers_pb2.CustomerCreated(customer=records_pb2.Customer(customer_id="otto"))
        assert await apply(lambda e: on_customer_event(e, other)) == ["vera"]
    finally:
        await engine.dispose()
