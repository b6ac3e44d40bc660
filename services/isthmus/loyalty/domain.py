"""Loyalty accounts and their append-only points ledger. No I/O.

The balance is the sum of the ledger: every change of it is an entry, and the account keeps the
running balance only as a cache (``balance_after`` on each entry, ``balance`` on the account).
Earned points sit in lots, one per credit, consumed first-to-expire-first (FIFO); the lots always
hold exactly the balance. A claw-back beyond the balance takes the balance to zero and records the
rest as debt, which later credits pay off before they count.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from isthmus.kernel.errors import FailedPrecondition
from isthmus.kernel.ids import new_uuid

FOREVER = datetime.max.replace(tzinfo=None)


class EntryKind(enum.IntEnum):
    """Numbered as ``LedgerEntryKind`` in the API."""

    EARN = 1
    REDEEM = 2
    EXPIRE = 3
    ADJUST = 4
    CLAWBACK = 5
    MERGE_IN = 6
    MERGE_OUT = 7
    UNMERGE_OUT = 8
    UNMERGE_IN = 9
    DEBT_SETTLED = 10
    ERASE = 11


@dataclass(frozen=True)
class Actor:
    kind: int = 0
    id: str = ""
    display_name: str = ""
    principal: str = ""  # the authenticated client that made the call (Actor.principal in the API)


SYSTEM = Actor(kind=4, id="loyalty")


@dataclass
class Entry:
    entry_id: str
    account_id: str
    customer_id: str
    kind: EntryKind
    points: int
    balance_after: int
    debt_after: int
    occurred_at: datetime
    expires_at: datetime | None = None
    order_id: str = ""
    rule_ids: tuple[str, ...] = ()
    promotion_ids: tuple[str, ...] = ()
    redemption_id: str = ""
    source_entry_ids: tuple[str, ...] = ()
    counterpart_customer_id: str = ""
    return_id: str = ""
    text: str = ""
    event_id: str = ""
    actor: Actor = field(default_factory=Actor)
    idempotency_key: str | None = None
    fingerprint: str = ""


@dataclass
class Lot:
    lot_id: str  # the id of the entry that credited it
    account_id: str
    origin_account_id: str  # the account that earned it, so an unmerge can send it home
    earned_at: datetime
    expires_at: datetime | None
    remaining: int
    dirty: bool = False
    new: bool = False  # not stored yet

    def fifo_key(self) -> tuple[datetime, datetime, str]:
        expires = self.expires_at.replace(tzinfo=None) if self.expires_at else FOREVER
        return expires, self.earned_at.replace(tzinfo=None), self.lot_id


def proportion(whole: int, part: Decimal, of: Decimal) -> int:
    """``whole * part / of`` rounded half up, never more than ``whole`` (claw-back in proportion)."""
    if of <= 0 or part >= of:
        return whole
    return min(whole, int((Decimal(whole) * part / of).to_integral_value(rounding=ROUND_HALF_UP)))


@dataclass
class Account:
    account_id: str
    customer_id: str
    programme_id: str
    tier_id: str
    tier_since: datetime
    tier_review_at: datetime
    create_time: datetime
    balance: int = 0
    debt: int = 0
    lifetime_earned: int = 0
    version: int = 0  # 0: not stored yet
    update_time: datetime | None = None
    merged_into: str | None = None
    erased: bool = False
    lots: list[Lot] = field(default_factory=list)
    pending: list[Entry] = field(default_factory=list)  # appended by this unit of work

    def _append(self, kind: EntryKind, points: int, now: datetime, **reason: object) -> Entry:
        self.balance += points
        entry = Entry(
            entry_id=new_uuid(),
            account_id=self.account_id,
            customer_id=self.customer_id,
            kind=kind,
            points=points,
            balance_after=self.balance,
            debt_after=self.debt,
            occurred_at=now,
            **reason,  # type: ignore[arg-type]
        )
        self.pending.append(entry)
        self.update_time = now
        return entry

    def _consume(self, points: int) -> tuple[str, ...]:
        """Takes ``points`` out of the lots, soonest-to-expire first; returns the lots drawn on."""
        used: list[str] = []
        for lot in sorted((x for x in self.lots if x.remaining > 0), key=Lot.fifo_key):
            if points == 0:
                break
            take = min(points, lot.remaining)
            lot.remaining -= take
            lot.dirty = True
            points -= take
            used.append(lot.lot_id)
        if points:
            raise AssertionError(f"account {self.account_id}: lots hold less than the balance")
        return tuple(used)

    def credit(
        self, kind: EntryKind, points: int, now: datetime, expires_at: datetime | None, **reason: object
    ) -> list[Entry]:
        """Adds points (as a new lot); any debt is paid off from them first."""
        entry = self._append(kind, points, now, expires_at=expires_at, **reason)
        self.lots.append(
            Lot(
                entry.entry_id,
                self.account_id,
                self.account_id,
                now,
                expires_at,
                points,
                dirty=True,
                new=True,
            )
        )
        entries = [entry]
        if self.debt and self.balance:
            settle = min(self.debt, self.balance)
            sources = self._consume(settle)
            self.debt -= settle
            entries.append(
                self._append(
                    EntryKind.DEBT_SETTLED, -settle, now, source_entry_ids=sources, order_id=entry.order_id
                )
            )
        return entries

    def debit(self, kind: EntryKind, points: int, now: datetime, **reason: object) -> Entry:
        if points > self.balance:
            raise FailedPrecondition(
                f"account of customer {self.customer_id} has {self.balance} points available, not {points}"
            )
        sources = self._consume(points)
        return self._append(kind, -points, now, source_entry_ids=sources, **reason)

    def claw_back(self, points: int, now: datetime, **reason: object) -> Entry:
        """Takes back ``points``; what the balance cannot cover becomes debt, never a negative balance."""
        take = min(points, self.balance)
        sources = self._consume(take)
        self.debt += points - take
        return self._append(EntryKind.CLAWBACK, -take, now, source_entry_ids=sources, **reason)

    def expire(self, now: datetime) -> Entry | None:
        due = [x for x in self.lots if x.remaining > 0 and x.expires_at is not None and x.expires_at <= now]
        if not due:
            return None
        points = sum(x.remaining for x in due)
        for lot in due:
            lot.remaining, lot.dirty = 0, True
        return self._append(
            EntryKind.EXPIRE,
            -points,
            now,
            source_entry_ids=tuple(x.lot_id for x in sorted(due, key=Lot.fifo_key)),
        )

    def expiring(self, now: datetime, until: datetime) -> list[tuple[datetime, int]]:
        by_time: dict[datetime, int] = {}
        for lot in self.lots:
            if lot.remaining > 0 and lot.expires_at is not None and now < lot.expires_at <= until:
                by_time[lot.expires_at] = by_time.get(lot.expires_at, 0) + lot.remaining
        return sorted(by_time.items())

    def move_lots(
        self,
        to: Account,
        lots: list[Lot],
        kinds: tuple[EntryKind, EntryKind],
        now: datetime,
        reason: dict[str, str],
        debt: int = 0,
    ) -> None:
        """Moves ``lots`` (and ``debt``) to ``to``: an OUT entry here and an IN entry there."""
        points = sum(x.remaining for x in lots)
        for lot in lots:
            self.lots.remove(lot)
            lot.account_id, lot.dirty = to.account_id, True
            to.lots.append(lot)
        self.debt -= debt
        self._append(kinds[0], -points, now, counterpart_customer_id=to.customer_id, **reason)
        to.debt += debt
        to._append(kinds[1], points, now, counterpart_customer_id=self.customer_id, **reason)
        if to.debt and to.balance:
            settle = min(to.debt, to.balance)
            sources = to._consume(settle)
            to.debt -= settle
            to._append(EntryKind.DEBT_SETTLED, -settle, now, source_entry_ids=sources)

    def erase(self, now: datetime) -> Entry:
        """The customer is gone: the balance leaves with an ERASE entry, the debt is written off."""
        self.erased = True
        points = self.balance
        for lot in self.lots:
            lot.remaining, lot.dirty = 0, True
        self.debt = 0
        return self._append(EntryKind.ERASE, -points, now, actor=SYSTEM)
