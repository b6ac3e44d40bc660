"""What segments and campaigns publish (through the value outbox), and what they read of value scores."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from google.protobuf.message import Message
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from isthmus.kernel.money import Money
from isthmus.kernel.timestamps import ts
from isthmus.platform import events
from isthmus.platform.sql import any_of
from isthmus.value import campaigns as rules
from isthmus.value import segments
from isthmus.value.tables import cases as value_cases
from isthmus.value.tables import customers as value_customers
from isthmus_client.api.customers.v1 import records_pb2
from isthmus_client.api.events.v1 import value_pb2
from isthmus_client.api.value.v1 import campaigns_pb2

TIERS = {1: "A", 2: "B", 3: "C"}  # isthmus.value.v1.ValueTier
CREDIT_RANKS = {1: "new", 2: "good", 3: "fair", 4: "poor"}  # isthmus.common.v1.CreditRank


class OutboxPublisher:
    """Records each event in the caller's transaction, so it is published exactly when the change commits."""

    async def _record(self, session: AsyncSession, message: Message, aggregate_id: str) -> None:
        await events.record_event(session, message, aggregate_id=aggregate_id)

    async def segment_entered(
        self, session: AsyncSession, customer_id: str, segment: segments.SegmentVersion, at: datetime
    ) -> None:
        message = value_pb2.SegmentEntered(
            customer_id=customer_id,
            segment_id=segment.segment_id,
            segment_version=segment.version,
            segment_name=segment.name,
            enter_time=ts(at),
        )
        await self._record(session, message, customer_id)

    async def segment_left(
        self, session: AsyncSession, customer_id: str, segment_id: str, version: int, name: str, at: datetime
    ) -> None:
        message = value_pb2.SegmentLeft(
            customer_id=customer_id,
            segment_id=segment_id,
            segment_version=version,
            segment_name=name,
            leave_time=ts(at),
        )
        await self._record(session, message, customer_id)

    async def message_requested(
        self, session: AsyncSession, request: rules.MessageRequest, at: datetime
    ) -> None:
        channel: Any = records_pb2.ConsentChannel.Value(f"CONSENT_CHANNEL_{request.channel}")
        purpose: Any = int(request.purpose)
        trigger: Any = int(request.trigger)
        message = value_pb2.CampaignMessageRequested(
            message_id=request.message_id,
            campaign_id=request.campaign_id,
            customer_id=request.customer_id,
            channel=channel,
            template_id=request.template_id,
            purpose=purpose,
            trigger=trigger,
            reference=request.reference,
            send_after_time=ts(request.send_after),
            variables=dict(request.variables),
        )
        await self._record(session, message, request.customer_id)

    async def message_withdrawn(
        self,
        session: AsyncSession,
        message_id: str,
        campaign_id: str,
        customer_id: str,
        reason: str,
        at: datetime,
    ) -> None:
        message = value_pb2.CampaignMessageWithdrawn(
            message_id=message_id,
            campaign_id=campaign_id,
            customer_id=customer_id,
            reason=reason,
            withdraw_time=ts(at),
        )
        await self._record(session, message, customer_id)

    async def cart_abandoned(self, session: AsyncSession, cart: Any, at: datetime) -> None:
        request: campaigns_pb2.RecordAbandonedCartRequest = cart
        message = value_pb2.CartAbandoned(
            customer_id=request.customer_id,
            source_system=request.source_system,
            external_cart_id=request.external_cart_id,
            lines=list(request.lines),
            total=request.total,
            abandon_time=request.abandon_time,
            recovery_url=request.recovery_url,
        )
        await self._record(session, message, request.customer_id)


def _amount(minor: int, currency: str) -> Any:
    return Money.from_minor(int(minor), currency).amount


# One statement whatever the number of customers (an IN list is a statement per length).
_VALUE_FACTS = select(value_customers).where(any_of(value_customers.c.customer_id, "ids"))


def value_facts_reader(currency: str) -> Any:
    """The ValueFacts of engagement_segments.py over ``value_customers``: value, RFM, tier, churn and
    credit rank as Profile fields."""

    async def read(session: AsyncSession, ids: Sequence[str]) -> Mapping[str, Mapping[str, Any]]:
        if not ids:
            return {}
        rows = await session.execute(_VALUE_FACTS, {"ids": list(ids)})
        return {
            r.customer_id: {
                "historical_value": _amount(r.historical_minor, currency),
                "predicted_value": _amount(r.predicted_minor, currency),
                "alive_probability": float(r.alive_probability),
                "recency_score": int(r.rfm_recency),
                "frequency_score": int(r.rfm_frequency),
                "monetary_score": int(r.rfm_monetary),
                "tier": TIERS.get(int(r.tier), ""),
                "churn_risk": bool(r.churn_risk),
                "credit_rank": CREDIT_RANKS.get(int(r.credit_rank), ""),
            }
            for r in rows
        }

    return read


async def tier_when_opened(session: AsyncSession, service_request_id: str) -> str | None:
    """The tier the value context held when it counted the case; None before it has counted it."""
    tier = await session.scalar(
        select(value_cases.c.tier_at_open).where(value_cases.c.service_request_id == service_request_id)
    )
    return None if tier is None else TIERS.get(int(tier), "")
