"""Loyalty use cases: ``handler(command, uow)``, each inside the caller's transaction.

Awards and claw-backs come from order events, merges from customer events, redemptions and
adjustments from the API, expiry and tier reviews from the scheduled job. Each writes ledger entries
and their events (through the outbox) in the same transaction as the account.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from google.protobuf.message import Message
from sqlalchemy.ext.asyncio import AsyncSession

from isthmus.kernel.errors import FailedPrecondition, NotFound, key_reused
from isthmus.kernel.idempotency import first_difference
from isthmus.kernel.ids import new_uuid
from isthmus.kernel.money import Money
from isthmus.kernel.timestamps import add_months
from isthmus.loyalty import codec
from isthmus.loyalty.domain import SYSTEM, Account, Actor, Entry, EntryKind, proportion
from isthmus.loyalty.programme import Basket, Programme, Tier
from isthmus.loyalty.store import LoyaltyRepository, OrderPoints
from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.events.v1 import loyalty_pb2 as events
from isthmus_client.api.loyalty.v1 import loyalty_pb2

# (session, message, aggregate_id, causation_id): records an event in the outbox of this transaction.
Record = Callable[[AsyncSession, Message, str, str], Awaitable[None]]


async def _no_outbox(session: AsyncSession, message: Message, aggregate_id: str, causation_id: str) -> None:
    return None


class Uow:
    def __init__(
        self,
        session: AsyncSession,
        programme: Programme,
        clock: Callable[[], datetime],
        record: Record = _no_outbox,
        causation_id: str = "",
    ) -> None:
        self.session = session
        # One per transaction, shared by every handler that runs in it (a batch of events).
        self.repo = LoyaltyRepository.of(session)
        self.programme = programme
        self._clock = clock
        self._record = record
        self.causation_id = causation_id  # the event being handled, if any
        self.later: list[tuple[Message, Account]] = []  # tier changes, recorded after the entries

    def clock(self) -> datetime:
        """The transaction's one instant: everything it changes happens at the same time."""
        if self.repo.now is None:
            self.repo.now = self._clock()
        return self.repo.now

    async def emit(self, message: Message, account: Account) -> None:
        await self._record(self.session, message, account.account_id, self.causation_id)


_EVENTS: dict[EntryKind, Callable[..., Message]] = {
    EntryKind.EARN: events.PointsEarned,
    EntryKind.REDEEM: events.PointsRedeemed,
    EntryKind.EXPIRE: events.PointsExpired,
    EntryKind.CLAWBACK: events.PointsClawedBack,
    EntryKind.ADJUST: events.PointsAdjusted,
    EntryKind.MERGE_IN: events.PointsMoved,
    EntryKind.MERGE_OUT: events.PointsMoved,
    EntryKind.UNMERGE_OUT: events.PointsMoved,
    EntryKind.UNMERGE_IN: events.PointsMoved,
    EntryKind.DEBT_SETTLED: events.DebtSettled,
    # ERASE has none: the customer is gone, and every view of it with them.
}


async def _save(uow: Uow, *accounts: Account) -> None:
    """Stores accounts with their new entries, then records an event per entry that has one."""
    for account in accounts:
        entries = list(account.pending)
        await _store(uow, account)
        for entry in entries:
            make = _EVENTS.get(entry.kind)
            if make is not None:
                await uow.emit(make(entry=codec.entry(entry)), account)
    later, uow.later = uow.later, []
    for message, account in later:
        await uow.emit(message, account)


async def _store(uow: Uow, account: Account) -> None:
    """Writes the account; a new one announces its entry tier (TierChanged from no tier, ENROLLED)."""
    enrolling = account.version == 0
    await uow.repo.save(account)
    if enrolling:
        tier = codec.tier_ref(uow.programme.entry_tier)
        enrolled = events.TierChanged(
            customer_id=account.customer_id,
            account_id=account.account_id,
            to_tier=tier,
            reason=loyalty_pb2.TIER_CHANGE_REASON_ENROLLED,
        )
        await uow.emit(enrolled, account)


# --- accounts ---------------------------------------------------------------------------------------


async def follow(uow: Uow, account: Account | None) -> Account | None:
    """From a merged account to the one it was merged into (through any chain of merges)."""
    seen = set()
    while account is not None and account.merged_into and account.account_id not in seen:
        seen.add(account.account_id)
        account = await uow.repo.account(account_id=account.merged_into)
    return account


async def resolve(uow: Uow, customer_id: str, *, create: bool) -> Account | None:
    """The customer's account, following merges to the surviving one; enrols when ``create``."""
    account = await follow(uow, await uow.repo.account(customer_id=customer_id))
    if account is None and create:
        now = uow.clock()
        p = uow.programme
        account = Account(
            account_id=new_uuid(),
            customer_id=customer_id,
            programme_id=p.programme_id,
            tier_id=p.entry_tier.tier_id,
            tier_since=now,
            tier_review_at=add_months(now, p.review_every_months),
            create_time=now,
            update_time=now,
        )
        uow.repo.add_account(account)
    return account


def window_start(uow: Uow) -> datetime:
    """Qualifying activity counts for tiers from this instant on (the rolling window)."""
    return add_months(uow.clock(), -uow.programme.window_months)


async def _qualified(uow: Uow, account: Account) -> tuple[Tier, int, dict[str, Decimal]]:
    since = window_start(uow)
    points, spend = await uow.repo.qualifying_since(account.account_id, since)
    return uow.programme.qualified_tier(points, spend), points, spend


async def _set_tier(uow: Uow, account: Account, tier: Tier, reason: loyalty_pb2.TierChangeReason) -> None:
    """Changes the tier; its TierChanged event is recorded by ``_save`` after the entries' events."""
    if tier.tier_id == account.tier_id:
        return
    before = uow.programme.tier(account.tier_id)
    account.tier_id, account.tier_since = tier.tier_id, uow.clock()
    uow.later.append(
        (
            events.TierChanged(
                customer_id=account.customer_id,
                account_id=account.account_id,
                from_tier=codec.tier_ref(before),
                to_tier=codec.tier_ref(tier),
                reason=reason,
            ),
            account,
        )
    )


async def _upgrade_if_qualified(uow: Uow, account: Account) -> None:
    """Upgrades are immediate; a lower qualification waits for the review."""
    if uow.programme.next_tier(uow.programme.tier(account.tier_id)) is None:
        return  # already at the top
    qualified, _, _ = await _qualified(uow, account)
    if qualified.rank > uow.programme.tier(account.tier_id).rank:
        await _set_tier(uow, account, qualified, loyalty_pb2.TIER_CHANGE_REASON_QUALIFIED)


# --- orders ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PaidOrder:
    order_id: str
    customer_id: str
    basket: Basket
    refundable: Money  # what returns can refund: goods less discounts plus tax
    paid_at: datetime
    event_id: str = ""


async def _order_record(
    uow: Uow, order_id: str, customer_id: str, currency: str
) -> tuple[OrderPoints, Account]:
    record = await uow.repo.order(order_id)
    if record is not None:
        account = await follow(uow, await uow.repo.account(account_id=record.account_id))
        if account is not None:
            record.account_id = account.account_id
            return record, account
    account = await resolve(uow, customer_id, create=True)
    assert account is not None
    if record is None:
        record = OrderPoints(order_id, account.account_id, account.account_id, currency)
    return record, account


async def award(cmd: PaidOrder, uow: Uow) -> int:
    """Points for a paid order, once per order whatever the deliveries; returns the points awarded."""
    record, account = await _order_record(uow, cmd.order_id, cmd.customer_id, cmd.basket.currency)
    if record.paid:
        return 0
    record.paid = True
    record.refundable_minor = cmd.refundable.minor
    spend = Money.of(cmd.basket.merchandise, cmd.basket.currency)
    record.spend_minor = spend.minor
    points = 0
    if not record.cancelled:  # a cancellation after payment already arrived: nothing to keep
        tier = uow.programme.tier(account.tier_id)
        points, rules, promotions = uow.programme.points_for(cmd.basket, tier, cmd.paid_at)
        if points:
            months = uow.programme.expiry_months
            account.credit(
                EntryKind.EARN,
                points,
                uow.clock(),
                add_months(cmd.paid_at, months) if months else None,
                order_id=cmd.order_id,
                rule_ids=tuple(rules),
                promotion_ids=tuple(promotions),
                event_id=cmd.event_id,
                actor=SYSTEM,
            )
            account.lifetime_earned += points
        record.awarded = points
        await uow.repo.add_qualifying(account, cmd.paid_at, points, spend)
        if record.refunded_minor:  # returns processed before the payment was
            await _claw(uow, account, record, cmd.event_id, "")
    await _upgrade_if_qualified(uow, account)
    await _save(uow, account)
    await uow.repo.save_order(record)
    return points


async def _claw(uow: Uow, account: Account, record: OrderPoints, event_id: str, return_id: str) -> None:
    if record.cancelled:
        target, spend_target = record.awarded, record.spend_minor
    else:
        refunded, refundable = Decimal(record.refunded_minor), Decimal(record.refundable_minor)
        target = proportion(record.awarded, refunded, refundable)
        spend_target = proportion(record.spend_minor, refunded, refundable)
    points, spend = target - record.clawed, spend_target - record.spend_clawed_minor
    if points > 0:
        account.claw_back(
            points,
            uow.clock(),
            order_id=record.order_id,
            return_id=return_id,
            event_id=event_id,
            actor=SYSTEM,
        )
    if points or spend:
        await uow.repo.add_qualifying(
            account, uow.clock(), -points, Money.from_minor(-spend, record.currency)
        )
    record.clawed, record.spend_clawed_minor = target, spend_target


async def order_returned(
    order_id: str, customer_id: str, refund: Money, refundable: Money, return_id: str, event_id: str, uow: Uow
) -> None:
    """Claws back points in proportion to the refund; an exchange (zero refund) changes nothing."""
    if refund.is_zero():
        return
    record, account = await _order_record(uow, order_id, customer_id, refund.currency)
    seen = json.loads(record.returns_seen)
    if return_id in seen:
        return
    record.returns_seen = json.dumps([*seen, return_id])
    record.refunded_minor += refund.minor
    record.refundable_minor = refundable.minor
    if record.paid:
        await _claw(uow, account, record, event_id, return_id)
        await _save(uow, account)
    await uow.repo.save_order(record)


async def order_cancelled(
    order_id: str, customer_id: str, currency: str, was_paid: bool, event_id: str, uow: Uow
) -> None:
    """A cancellation before payment has nothing to undo; after payment every awarded point goes back."""
    if not was_paid:
        return
    record, account = await _order_record(uow, order_id, customer_id, currency)
    if record.cancelled:
        return
    record.cancelled = True
    if record.paid:
        await _claw(uow, account, record, event_id, "")
        await _save(uow, account)
    await uow.repo.save_order(record)


# --- customers ------------------------------------------------------------------------------------


async def customers_merged(surviving_id: str, merged_ids: list[str], merge_id: str, uow: Uow) -> None:
    """Balances, lots, debt and qualifying activity combine in the survivor; its tier is recomputed."""
    survivor = await resolve(uow, surviving_id, create=True)
    assert survivor is not None
    await uow.repo.load_accounts(customer_ids=merged_ids)  # together, locked in account id order
    now, best = uow.clock(), uow.programme.tier(survivor.tier_id)
    changed: list[Account] = []
    for merged_id in merged_ids:
        merged = await uow.repo.account(customer_id=merged_id)
        if merged is None or merged.merged_into or merged.account_id == survivor.account_id:
            continue
        if survivor.version == 0:
            await _store(uow, survivor)  # it must exist before others point at it
        merged.move_lots(
            survivor,
            list(merged.lots),
            (EntryKind.MERGE_OUT, EntryKind.MERGE_IN),
            now,
            {"text": f"merge {merge_id}"},
            debt=merged.debt,
        )
        merged.merged_into = survivor.account_id
        survivor.lifetime_earned += merged.lifetime_earned
        tier = uow.programme.tier(merged.tier_id)
        best = tier if tier.rank > best.rank else best
        changed.append(merged)
    if not changed:
        return
    moved = [m.account_id for m in changed]
    await uow.repo.move_activity(moved, survivor.account_id)
    # Accounts merged into the merged ones before now point at the survivor too.
    for earlier in await uow.repo.merged_accounts(moved):
        earlier.merged_into = survivor.account_id
        changed.append(earlier)
    qualified, _, _ = await _qualified(uow, survivor)
    best = qualified if qualified.rank > best.rank else best
    await _set_tier(uow, survivor, best, loyalty_pb2.TIER_CHANGE_REASON_MERGE)
    await _save(uow, survivor, *changed)


async def customer_unmerged(from_id: str, restored_ids: list[str], uow: Uow) -> None:
    """Points earned by a restored customer (and still unspent) go back to it; tiers are recomputed."""
    source = await uow.repo.account(customer_id=from_id)
    if source is None:
        return
    now = uow.clock()
    restored_accounts = []
    for restored_id in restored_ids:
        restored = await uow.repo.account(customer_id=restored_id)
        if restored is None or restored.merged_into != source.account_id:
            continue
        lots = [x for x in source.lots if x.origin_account_id == restored.account_id]
        source.move_lots(restored, lots, (EntryKind.UNMERGE_OUT, EntryKind.UNMERGE_IN), now, {})
        restored.merged_into = None
        source.lifetime_earned -= restored.lifetime_earned
        await uow.repo.move_activity([source.account_id], restored.account_id, origin=restored.account_id)
        restored_accounts.append(restored)
    if not restored_accounts:
        return
    for account in (source, *restored_accounts):
        qualified, _, _ = await _qualified(uow, account)
        await _set_tier(uow, account, qualified, loyalty_pb2.TIER_CHANGE_REASON_UNMERGE)
    await _save(uow, source, *restored_accounts)


async def customer_erased(customer_id: str, uow: Uow) -> None:
    account = await uow.repo.account(customer_id=customer_id)
    if account is None or account.erased:
        return
    account.erase(uow.clock())
    await _save(uow, account)
    await uow.repo.scrub_ledger(account.account_id)


# --- API writes -----------------------------------------------------------------------------------


@dataclass
class Spend:
    """Redeem (points > 0) or adjust (points signed) on a customer's account."""

    kind: EntryKind
    customer_id: str
    points: int
    text: str
    request_id: str = ""
    order_id: str = ""
    actor: Actor = field(default_factory=Actor)

    def fingerprint(self) -> dict[str, Any]:
        return {
            "customer_id": self.customer_id,
            "points": self.points,
            "description" if self.kind is EntryKind.REDEEM else "reason": self.text,
            "order_id": self.order_id,
        }


async def write(cmd: Spend, uow: Uow) -> tuple[Entry, Account, bool]:
    """The entry written and the account; True when a retry under the same key found the first entry."""
    key = f"{cmd.kind.name.lower()}:{cmd.request_id}" if cmd.request_id else None
    if key is not None:
        found = await uow.repo.entry_by_key(key)
        if found is not None:
            first, fingerprint = found
            diff = first_difference(json.loads(fingerprint or "{}"), cmd.fingerprint())
            if diff is not None:
                raise key_reused(f"request_id {cmd.request_id} was used with a different {diff}", diff)
            account = await resolve(uow, cmd.customer_id, create=False)
            assert account is not None
            return first, account, True
    account = await resolve(uow, cmd.customer_id, create=cmd.kind is EntryKind.ADJUST and cmd.points > 0)
    if account is None:
        raise NotFound(f"customer {cmd.customer_id} has no loyalty account")
    if account.erased:
        raise FailedPrecondition(f"customer {cmd.customer_id} was erased")
    now = uow.clock()
    reason: dict[str, Any] = dict(
        text=cmd.text,
        order_id=cmd.order_id,
        actor=cmd.actor,
        idempotency_key=key,
        fingerprint=json.dumps(cmd.fingerprint(), sort_keys=True),
    )
    if cmd.kind is EntryKind.REDEEM:
        entry = account.debit(EntryKind.REDEEM, cmd.points, now, redemption_id=cmd.request_id, **reason)
    elif cmd.points > 0:
        months = uow.programme.expiry_months
        entry = account.credit(
            EntryKind.ADJUST, cmd.points, now, add_months(now, months) if months else None, **reason
        )[0]
    else:
        entry = account.debit(EntryKind.ADJUST, -cmd.points, now, **reason)
    await _save(uow, account)
    return entry, account, False


# --- the scheduled job ----------------------------------------------------------------------------


async def expire_and_review(account_id: str, uow: Uow) -> int:
    """Expires the account's points due by now and holds its tier review if due; returns points expired."""
    account = await uow.repo.account(account_id=account_id)
    if account is None or account.merged_into:
        return 0
    now = uow.clock()
    entry = account.expire(now)
    if account.tier_review_at <= now:
        qualified, _, _ = await _qualified(uow, account)
        await _set_tier(uow, account, qualified, loyalty_pb2.TIER_CHANGE_REASON_REVIEW)
        while account.tier_review_at <= now:
            account.tier_review_at = add_months(account.tier_review_at, uow.programme.review_every_months)
    await _save(uow, account)
    return -entry.points if entry else 0


# --- reads ----------------------------------------------------------------------------------------


@dataclass
class AccountView:
    account: Account
    tier: Tier
    next_tier: Tier | None
    qualifying_points: int
    qualifying_spend: dict[str, Decimal]
    expiring: list[tuple[datetime, int]]


async def view(customer_id: str, horizon: timedelta, uow: Uow) -> AccountView:
    account = await resolve(uow, customer_id, create=False)
    if account is None:
        raise NotFound(f"customer {customer_id} has no loyalty account")
    _, points, spend = await _qualified(uow, account)
    tier = uow.programme.tier(account.tier_id)
    now = uow.clock()
    return AccountView(
        account, tier, uow.programme.next_tier(tier), points, spend, account.expiring(now, now + horizon)
    )


def account_message(v: AccountView) -> loyalty_pb2.Account:
    a = v.account
    progress = loyalty_pb2.TierProgress()
    if v.next_tier is not None:
        progress.next_tier.CopyFrom(codec.tier_ref(v.next_tier))
        if v.next_tier.min_points:
            progress.points_needed = max(0, v.next_tier.min_points - v.qualifying_points)
        for currency, need in v.next_tier.min_spend.items():
            missing = max(Decimal(0), need - v.qualifying_spend.get(currency, Decimal(0)))
            progress.spend_needed.CopyFrom(
                common_pb2.Money(amount=str(Money.of(missing, currency).amount), currency_code=currency)
            )
            break
    return loyalty_pb2.Account(
        account_id=a.account_id,
        customer_id=a.customer_id,
        programme_id=a.programme_id,
        balance=a.balance,
        debt=a.debt,
        tier=codec.tier_ref(v.tier),
        tier_start_time=codec.ts(a.tier_since),
        tier_review_time=codec.ts(a.tier_review_at),
        progress=progress,
        qualifying_points=v.qualifying_points,
        qualifying_spend=[
            common_pb2.Money(amount=str(Money.of(s, c).amount), currency_code=c)
            for c, s in sorted(v.qualifying_spend.items())
        ],
        expiring_soon=[loyalty_pb2.ExpiringPoints(points=p, expire_time=codec.ts(t)) for t, p in v.expiring],
        lifetime_earned=a.lifetime_earned,
        version=a.version,
        create_time=codec.ts(a.create_time),
        update_time=codec.ts(a.update_time),
    )
