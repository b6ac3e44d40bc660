"""Loyalty values <-> API messages; also the stored form of a ledger entry."""

from __future__ import annotations

from datetime import datetime

from google.protobuf.timestamp_pb2 import Timestamp

from isthmus.kernel.timestamps import from_ts, ts
from isthmus.loyalty.domain import Actor, Entry, EntryKind
from isthmus.loyalty.programme import Programme, Tier
from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.loyalty.v1 import loyalty_pb2

__all__ = ["entry", "from_entry", "from_ts", "programme", "tier_ref", "ts"]


def actor(value: Actor) -> common_pb2.Actor:
    return common_pb2.Actor(
        kind=value.kind,  # type: ignore[arg-type]
        id=value.id,
        display_name=value.display_name,
        principal=value.principal,
    )


def entry(e: Entry) -> loyalty_pb2.LedgerEntry:
    return loyalty_pb2.LedgerEntry(
        entry_id=e.entry_id,
        account_id=e.account_id,
        customer_id=e.customer_id,
        kind=int(e.kind),  # type: ignore[arg-type]
        points=e.points,
        balance_after=e.balance_after,
        debt_after=e.debt_after,
        reason=loyalty_pb2.LedgerReason(
            order_id=e.order_id,
            rule_ids=e.rule_ids,
            promotion_ids=e.promotion_ids,
            redemption_id=e.redemption_id,
            source_entry_ids=e.source_entry_ids,
            counterpart_customer_id=e.counterpart_customer_id,
            return_id=e.return_id,
            text=e.text,
            event_id=e.event_id,
        ),
        expire_time=ts(e.expires_at),
        occur_time=ts(e.occurred_at),
        actor=actor(e.actor),
    )


def from_entry(m: loyalty_pb2.LedgerEntry) -> Entry:
    r = m.reason
    return Entry(
        entry_id=m.entry_id,
        account_id=m.account_id,
        customer_id=m.customer_id,
        kind=EntryKind(m.kind),
        points=m.points,
        balance_after=m.balance_after,
        debt_after=m.debt_after,
        occurred_at=from_ts(m.occur_time),
        expires_at=from_ts(m.expire_time) if m.HasField("expire_time") else None,
        order_id=r.order_id,
        rule_ids=tuple(r.rule_ids),
        promotion_ids=tuple(r.promotion_ids),
        redemption_id=r.redemption_id,
        source_entry_ids=tuple(r.source_entry_ids),
        counterpart_customer_id=r.counterpart_customer_id,
        return_id=r.return_id,
        text=r.text,
        event_id=r.event_id,
        actor=Actor(int(m.actor.kind), m.actor.id, m.actor.display_name, m.actor.principal),
    )


def tier_ref(tier: Tier) -> loyalty_pb2.TierRef:
    return loyalty_pb2.TierRef(tier_id=tier.tier_id, name=tier.name)


def _time(value: datetime | None) -> Timestamp | None:
    return ts(value)


def programme(p: Programme) -> loyalty_pb2.Programme:
    return loyalty_pb2.Programme(
        programme_id=p.programme_id,
        name=p.name,
        earning_rules=[
            loyalty_pb2.EarningRule(
                rule_id=r.rule_id,
                description=r.description,
                currency_code=r.currency,
                points_per_unit=str(r.points_per_unit),
                category_multipliers={k: str(v) for k, v in r.category_multipliers.items()},
                minimum_order=None
                if r.minimum_order is None
                else common_pb2.Money(amount=str(r.minimum_order), currency_code=r.currency),
                start_time=_time(r.valid_from),
                end_time=_time(r.valid_until),
                promotion=r.promotion,
            )
            for r in p.rules
        ],
        tiers=[
            loyalty_pb2.Tier(
                tier_id=t.tier_id,
                name=t.name,
                rank=t.rank,
                min_qualifying_points=t.min_points,
                min_qualifying_spend=[
                    common_pb2.Money(amount=str(v), currency_code=c) for c, v in t.min_spend.items()
                ],
                earn_multiplier=str(t.earn_multiplier),
            )
            for t in p.tiers
        ],
        expiry=loyalty_pb2.ExpiryPolicy(months_after_earning=p.expiry_months),
        tier_policy=loyalty_pb2.TierPolicy(
            window_months=p.window_months, review_every_months=p.review_every_months
        ),
    )
