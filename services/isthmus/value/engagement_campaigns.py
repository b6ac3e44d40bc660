"""Campaigns over one transaction: create, test, promote and stop them with their audit trail;
triggers decided once per customer and occurrence; abandoned carts, delivery responses and order
attribution; the reports; and the daily calendar scan (birthdays, lapsed customers). Rules live in
campaigns.py; this module reads and writes the tables and asks the publisher for events.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Integer, and_, bindparam, func, insert, select, update

from isthmus.kernel.errors import FailedPrecondition, NotFound
from isthmus.kernel.ids import new_uuid
from isthmus.platform import jsoncodec
from isthmus.platform.sql import any_of, insert_many
from isthmus.value import campaigns as rules
from isthmus.value.engagement_segments import CHUNK, Audience
from isthmus.value.engagement_tables import (
    abandoned_carts,
    campaign_audit,
    campaign_decisions,
    engagement_profiles,
    segment_members,
    trigger_occurrences,
)
from isthmus.value.engagement_tables import campaigns as campaign_table

_INT = Integer()
SENT_OR_CONTROL = (int(rules.Outcome.SEND), int(rules.Outcome.CONTROL))
_OF_CAMPAIGN = and_(
    campaign_decisions.c.campaign_id == bindparam("campaign_id"),
    any_of(campaign_decisions.c.customer_id, "ids"),
)
# When a campaign last reached each of some customers (sent, or held back as control).
_LAST_REACHED = (
    select(campaign_decisions.c.customer_id, func.max(campaign_decisions.c.decide_time).label("last"))
    .where(_OF_CAMPAIGN, campaign_decisions.c.outcome.in_(SENT_OR_CONTROL))
    .group_by(campaign_decisions.c.customer_id)
)
# What a campaign decided before on some customers: (customer, the occurrence's reference).
_DECIDED = select(campaign_decisions.c.customer_id, campaign_decisions.c.reference).where(_OF_CAMPAIGN)


@dataclass(frozen=True)
class Actor:
    kind: int = 0
    id: str = ""


class Campaigns(Audience):
    """Campaigns, their triggers and the calendar, over the profiles and segments of ``Audience``."""

    # The triggers some campaign not stopped answers, read once a unit of work (see occur_all).
    _answered: frozenset[int] | None = None

    # ------------------------------------------------------------ campaigns

    async def campaign(self, campaign_id: str) -> rules.Campaign:
        row = (
            await self.session.execute(
                select(campaign_table).where(campaign_table.c.campaign_id == campaign_id)
            )
        ).first()
        if row is None:
            raise NotFound(f"campaign {campaign_id} does not exist")
        return campaign_from_doc(campaign_id, jsoncodec.loads(row.doc))

    async def create_time(self, campaign_id: str) -> datetime | None:
        return await self.session.scalar(
            select(campaign_table.c.create_time).where(campaign_table.c.campaign_id == campaign_id)
        )

    async def _save(self, campaign: rules.Campaign, entry: rules.AuditEntry, actor: Actor) -> None:
        values = {
            "doc": jsoncodec.dumps(campaign_doc(campaign)),
            "trigger": int(campaign.trigger),
            "segment_id": campaign.segment_id,
            "state": int(campaign.state),
        }
        if entry.action == "created":
            await self.session.execute(
                insert(campaign_table).values(
                    campaign_id=campaign.campaign_id, create_time=entry.at, **values
                )
            )
        else:
            await self.session.execute(
                update(campaign_table)
                .where(campaign_table.c.campaign_id == campaign.campaign_id)
                .values(**values)
            )
        await self.session.execute(
            insert(campaign_audit).values(
                campaign_id=campaign.campaign_id,
                action=entry.action,
                from_state=None if entry.from_state is None else int(entry.from_state),
                to_state=int(entry.to_state),
                actor_kind=actor.kind,
                actor_id=actor.id,
                occur_time=entry.at,
                note=entry.note,
            )
        )

    async def create_campaign(self, draft: rules.Campaign, actor: Actor) -> rules.Campaign:
        if draft.segment_id:
            await self.segment(draft.segment_id)
        campaign = replace(draft, campaign_id=new_uuid())
        await self._save(campaign, rules.created(campaign, actor.id, self.clock()), actor)
        return campaign

    async def candidates(self, campaign: rules.Campaign, lookback: timedelta) -> list[str]:
        if campaign.trigger is rules.Trigger.SEGMENT_ENTERED:
            rows = await self.session.scalars(
                select(segment_members.c.customer_id)
                .where(segment_members.c.segment_id == campaign.segment_id)
                .order_by(segment_members.c.customer_id)
            )
            return list(rows)
        since = self.clock() - lookback
        query = select(trigger_occurrences.c.customer_id, trigger_occurrences.c.value_tier).where(
            trigger_occurrences.c.trigger == int(campaign.trigger), trigger_occurrences.c.occur_time >= since
        )
        seen: dict[str, None] = {}
        for r in await self.session.execute(query.order_by(trigger_occurrences.c.seq)):
            if (
                campaign.trigger is rules.Trigger.HIGH_VALUE_COMPLAINT
                and r.value_tier not in campaign.trigger_tiers
            ):
                continue
            seen.setdefault(r.customer_id)
        return list(seen)

    async def _contacts_for(
        self, campaign: rules.Campaign, customer_ids: Sequence[str]
    ) -> dict[str, rules.Contact]:
        """Each customer's contact with when this campaign last reached them (sent or held back as
        control), a thousand customers at a time with two statements each."""
        found: dict[str, rules.Contact] = {}
        ids = list(dict.fromkeys(customer_ids))
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            contacts = await self.contacts(chunk)
            params = {"campaign_id": campaign.campaign_id, "ids": chunk}
            last = {r.customer_id: r.last for r in await self.session.execute(_LAST_REACHED, params)}
            found.update((c, replace(contacts[c], last_decided_at=last.get(c))) for c in chunk)
        return found

    async def test_campaign(
        self, campaign_id: str, lookback: timedelta, sample_size: int, actor: Actor
    ) -> tuple[rules.Campaign, rules.TestResult]:
        campaign = await self.campaign(campaign_id)
        if campaign.state not in (rules.CampaignState.DRAFT, rules.CampaignState.TESTING):
            raise FailedPrecondition(
                f"campaign {campaign_id} is {campaign.state.name}; only a draft is tested"
            )
        candidates = await self.candidates(campaign, lookback)
        found = await self._contacts_for(campaign, candidates)
        contacts = [found[c] for c in candidates]
        result = rules.dry_run(campaign, contacts, self.clock(), sample_size)
        tested, entry = rules.record_test(campaign, result, actor.id)
        await self._save(tested, entry, actor)
        return tested, result

    async def promote(self, campaign_id: str, actor: Actor) -> rules.Campaign:
        promoted, entry = rules.promote(await self.campaign(campaign_id), actor.id, self.clock())
        await self._save(promoted, entry, actor)
        return promoted

    async def stop(self, campaign_id: str, reason: str, actor: Actor) -> rules.Campaign:
        stopped, entry = rules.stop(await self.campaign(campaign_id), actor.id, self.clock(), reason)
        await self._save(stopped, entry, actor)
        return stopped

    async def audit(self, campaign_id: str) -> list[tuple[rules.AuditEntry, Actor]]:
        rows = await self.session.execute(
            select(campaign_audit)
            .where(campaign_audit.c.campaign_id == campaign_id)
            .order_by(campaign_audit.c.seq)
        )
        return [
            (
                rules.AuditEntry(
                    r.campaign_id,
                    r.action,
                    None if r.from_state is None else rules.CampaignState(r.from_state),
                    rules.CampaignState(r.to_state),
                    r.actor_id,
                    r.occur_time,
                    r.note,
                ),
                Actor(int(r.actor_kind), r.actor_id),
            )
            for r in rows
        ]

    async def campaign_page(self, after: str, limit: int) -> list[tuple[rules.Campaign, datetime | None]]:
        """Up to ``limit`` campaigns with ids after ``after``, in id order, each with its create time:
        one statement for the page."""
        c = campaign_table.c
        rows = await self.session.execute(
            select(c.campaign_id, c.doc, c.create_time)
            .where(c.campaign_id > after)
            .order_by(c.campaign_id)
            .limit(limit)
        )
        return [(campaign_from_doc(r.campaign_id, jsoncodec.loads(r.doc)), r.create_time) for r in rows]

    async def report(self, campaign_id: str) -> rules.Report:
        await self.campaign(campaign_id)
        rows = await self.session.execute(
            select(
                campaign_decisions.c.outcome,
                func.count(),
                func.sum(func.cast(campaign_decisions.c.opened, _INT)),
                func.sum(func.cast(campaign_decisions.c.bought, _INT)),
            )
            .where(campaign_decisions.c.campaign_id == campaign_id)
            .group_by(campaign_decisions.c.outcome)
        )
        counts: dict[rules.Outcome, tuple[int, int, int]] = {
            rules.Outcome(r[0]): (int(r[1]), int(r[2] or 0), int(r[3] or 0)) for r in rows
        }
        sent = counts.get(rules.Outcome.SEND, (0, 0, 0))
        control = counts.get(rules.Outcome.CONTROL, (0, 0, 0))
        held = {o: c[0] for o, c in counts.items() if not o.eligible}
        return rules.Report(sent[0], control[0], sent[1], sent[2], control[2], held)

    async def decisions(
        self, campaign_id: str, before: tuple[datetime, str, str] | None, limit: int
    ) -> list[dict[str, Any]]:
        """A campaign's decisions, newest first, after ``before`` (decide_time, customer, reference)."""
        await self.campaign(campaign_id)
        c = campaign_decisions.c
        query = select(campaign_decisions).where(c.campaign_id == campaign_id)
        if before is not None:
            at, customer, reference = before
            query = query.where(
                (c.decide_time < at)
                | ((c.decide_time == at) & (c.customer_id > customer))
                | ((c.decide_time == at) & (c.customer_id == customer) & (c.reference > reference))
            )
        query = query.order_by(c.decide_time.desc(), c.customer_id, c.reference).limit(limit)
        return [dict(r._mapping) for r in await self.session.execute(query)]

    # ------------------------------------------------------------ triggers and responses

    async def occur(self, occurrence: rules.Occurrence) -> list[rules.Decision]:
        """Something happened: remember it (for tests); every production campaign answering it decides.

        In a batch, the segment decisions owed so far are made first: what happened before it
        triggers its campaigns before it, as one event after another would."""
        await self.decide_due()
        return await self.occur_all([occurrence])

    async def occur_all(self, occurrences: Sequence[rules.Occurrence]) -> list[rules.Decision]:
        """Several things happened, in this order: remembered in one statement, each decided on by
        the production campaigns of its trigger (read once a trigger)."""
        if any(o.trigger in rules.RECORDED_WHEN_ANSWERED for o in occurrences):
            if self._answered is None:
                stopped = int(rules.CampaignState.STOPPED)
                found = await self.session.execute(
                    select(campaign_table.c.trigger).where(campaign_table.c.state != stopped).distinct()
                )
                self._answered = frozenset(int(r[0]) for r in found)
            answered = self._answered
            occurrences = [
                o
                for o in occurrences
                if o.trigger not in rules.RECORDED_WHEN_ANSWERED or o.trigger in answered
            ]
        if not occurrences:
            return []
        await insert_many(
            self.session,
            trigger_occurrences,
            [
                {
                    "trigger": int(o.trigger),
                    "customer_id": o.customer_id,
                    "reference": o.reference,
                    "occur_time": o.at,
                    "segment_id": o.segment_id,
                    "value_tier": o.value_tier,
                    "variables": jsoncodec.dumps(dict(o.variables)),
                }
                for o in occurrences
            ],
        )
        answering: dict[rules.Trigger, list[rules.Campaign]] = {}
        # Each campaign's occurrences, keyed by where one-by-one deciding (each occurrence in turn,
        # each of its campaigns in turn) would have come to them: the decisions and their messages
        # keep that order.
        asked: dict[str, tuple[rules.Campaign, list[tuple[tuple[int, int], rules.Occurrence]]]] = {}
        for i, occurrence in enumerate(occurrences):
            if occurrence.trigger not in answering:
                rows = await self.session.execute(
                    select(campaign_table.c.campaign_id, campaign_table.c.doc).where(
                        campaign_table.c.trigger == int(occurrence.trigger),
                        campaign_table.c.state == int(rules.CampaignState.PRODUCTION),
                    )
                )
                answering[occurrence.trigger] = [
                    campaign_from_doc(r.campaign_id, jsoncodec.loads(r.doc)) for r in rows.all()
                ]
            for j, campaign in enumerate(answering[occurrence.trigger]):
                if rules.answers(campaign, occurrence):
                    asked.setdefault(campaign.campaign_id, (campaign, []))[1].append(((i, j), occurrence))
        decided: list[tuple[tuple[int, int], rules.Decision, rules.MessageRequest | None]] = []
        now = self.clock()
        for campaign, items in asked.values():
            decided += await self._decide(campaign, items, now)
        decided.sort(key=lambda d: d[0])
        for _, _, message in decided:
            if message is not None:
                await self.publisher.message_requested(self.session, message, now)
        return [decision for _, decision, _ in decided]

    async def _decide(
        self, campaign: rules.Campaign, asked: Sequence[tuple[Any, rules.Occurrence]], now: datetime
    ) -> list[tuple[Any, rules.Decision, rules.MessageRequest | None]]:
        """One campaign's decisions on these occurrences, in their order, with the message each SEND
        asks for: an occurrence it decided before (a redelivered event) is left out, and a customer it
        reaches counts as reached for the occurrences after (the frequency cap). A constant number of
        statements a thousand customers, the decisions written with one."""
        ids = list(dict.fromkeys(o.customer_id for _, o in asked))
        contacts = await self._contacts_for(campaign, ids)
        done: set[tuple[str, str]] = set()
        for start in range(0, len(ids), CHUNK):
            params = {"campaign_id": campaign.campaign_id, "ids": ids[start : start + CHUNK]}
            done.update((r.customer_id, r.reference) for r in await self.session.execute(_DECIDED, params))
        rows: list[dict[str, Any]] = []
        out: list[tuple[Any, rules.Decision, rules.MessageRequest | None]] = []
        for key, occurrence in asked:
            customer_id = occurrence.customer_id
            if (customer_id, occurrence.reference) in done:
                continue
            done.add((customer_id, occurrence.reference))
            decision = rules.decide(campaign, contacts[customer_id], now)
            if int(decision.outcome) in SENT_OR_CONTROL:
                contacts[customer_id] = replace(contacts[customer_id], last_decided_at=now)
            message = (
                rules.message_for(campaign, occurrence) if decision.outcome is rules.Outcome.SEND else None
            )
            later = (
                message is not None
                and campaign.purpose is rules.Purpose.MARKETING
                and message.send_after > now
            )
            rows.append(
                {
                    "campaign_id": campaign.campaign_id,
                    "customer_id": customer_id,
                    "reference": occurrence.reference,
                    "outcome": int(decision.outcome),
                    "reason": decision.reason,
                    "message_id": message.message_id if message else None,
                    "send_after": message.send_after if message is not None and later else None,
                    "decide_time": now,
                    "opened": False,
                    "bought": False,
                }
            )
            out.append((key, decision, message))
        await insert_many(self.session, campaign_decisions, rows)
        return out

    async def record_cart(
        self, source_system: str, cart_id: str, customer_id: str, at: datetime, doc: Mapping[str, Any]
    ) -> bool:
        """Keep an abandoned cart once; False when it was recorded before."""
        key = and_(
            abandoned_carts.c.source_system == source_system, abandoned_carts.c.external_cart_id == cart_id
        )
        if await self.session.scalar(select(func.count()).select_from(abandoned_carts).where(key)):
            return False
        await self.session.execute(
            insert(abandoned_carts).values(
                source_system=source_system,
                external_cart_id=cart_id,
                customer_id=customer_id,
                abandon_time=at,
                doc=jsoncodec.dumps(dict(doc)),
            )
        )
        return True

    async def withdraw_due_later(self, customer_id: str, reason: str, now: datetime) -> int:
        """Withdraw the customer's marketing messages requested for later and not due yet (a complaint
        opened, or the customer was suppressed): each becomes WITHDRAWN and a
        value.CampaignMessageWithdrawn tells delivery systems to drop it. How many."""
        c = campaign_decisions.c
        pending = and_(c.customer_id == customer_id, c.outcome == int(rules.Outcome.SEND), c.send_after > now)
        found = (await self.session.execute(select(c.campaign_id, c.message_id).where(pending))).all()
        if not found:
            return 0
        await self.session.execute(
            update(campaign_decisions)
            .where(pending)
            .values(outcome=int(rules.Outcome.WITHDRAWN), reason=f"withdrawn before it was due: {reason}")
        )
        for campaign_id, message_id in found:
            await self.publisher.message_withdrawn(
                self.session, message_id, campaign_id, customer_id, reason, now
            )
        return len(found)

    async def responded(self, message_id: str, response: rules.Response) -> bool:
        """A delivery system's report; OPENED, CLICKED and BOUGHT count. False for an unknown message."""
        values = {rules.Response.OPENED: {"opened": True}, rules.Response.CLICKED: {"opened": True}}.get(
            response
        )
        if response is rules.Response.BOUGHT:
            values = {"opened": True, "bought": True}
        if values is None:
            return bool(
                await self.session.scalar(
                    select(func.count())
                    .select_from(campaign_decisions)
                    .where(campaign_decisions.c.message_id == message_id)
                )
            )
        done = await self.session.execute(
            update(campaign_decisions).where(campaign_decisions.c.message_id == message_id).values(**values)
        )
        return bool(getattr(done, "rowcount", 0))

    async def attribute_order(self, customer_id: str, ordered_at: datetime, window: timedelta) -> None:
        """An order after a send or a control decision, within the window, counts as bought for it."""
        await self.session.execute(
            update(campaign_decisions)
            .where(
                campaign_decisions.c.customer_id == customer_id,
                campaign_decisions.c.outcome.in_(SENT_OR_CONTROL),
                campaign_decisions.c.bought.is_(False),
                campaign_decisions.c.decide_time < ordered_at,
                campaign_decisions.c.decide_time > ordered_at - window,
            )
            .values(bought=True)
        )

    async def scan_calendar(self, today: date) -> int:
        """The daily triggers: birthdays and customers lapsed beyond their rhythm. Returns occurrences.

        The occurrences are decided a thousand at a time, in the order found: their campaigns' reads
        and decisions take a few statements a thousand, not a few a customer."""
        now = self.clock()
        lapse = await self._production(rules.Trigger.LAPSED)
        found: list[rules.Occurrence] = []
        count = 0
        async for row in self._profile_rows():
            birth = row["birth_date"]
            if birth is not None and rules.birthday_on(birth, today):
                found.append(
                    rules.Occurrence(
                        rules.Trigger.BIRTHDAY, row["customer_id"], now, reference=f"birthday:{today.year}"
                    )
                )
            dates = [date.fromisoformat(d) for d in jsoncodec.loads(row["order_dates"])]
            if dates and any(rules.lapsed(dates, today, c.lapse_factor) for c in lapse):
                found.append(
                    rules.Occurrence(
                        rules.Trigger.LAPSED,
                        row["customer_id"],
                        now,
                        reference=f"lapsed:{max(dates).isoformat()}",
                    )
                )
            if len(found) >= CHUNK:
                count += len(found)
                await self.decide_due()
                await self.occur_all(found)
                found = []
        await self.decide_due()
        await self.occur_all(found)
        return count + len(found)

    async def _production(self, trigger: rules.Trigger) -> list[rules.Campaign]:
        rows = await self.session.execute(
            select(campaign_table.c.campaign_id, campaign_table.c.doc).where(
                campaign_table.c.trigger == int(trigger),
                campaign_table.c.state == int(rules.CampaignState.PRODUCTION),
            )
        )
        return [campaign_from_doc(r.campaign_id, jsoncodec.loads(r.doc)) for r in rows]

    async def _profile_rows(self) -> AsyncIterator[dict[str, Any]]:
        after = ""
        while True:
            rows = (
                await self.session.execute(
                    select(engagement_profiles)
                    .where(engagement_profiles.c.customer_id > after, engagement_profiles.c.erased.is_(False))
                    .order_by(engagement_profiles.c.customer_id)
                    .limit(CHUNK)
                )
            ).all()
            if not rows:
                return
            for r in rows:
                yield dict(r._mapping)
            after = rows[-1].customer_id


def campaign_doc(c: rules.Campaign) -> dict[str, Any]:
    def ts(v: datetime | None) -> str | None:
        return None if v is None else v.isoformat()

    doc: dict[str, Any] = {
        "name": c.name,
        "trigger": int(c.trigger),
        "channel": c.channel,
        "template_id": c.template_id,
        "starts_at": ts(c.schedule.starts_at),
        "ends_at": ts(c.schedule.ends_at),
        "delay_s": c.schedule.delay.total_seconds(),
        "segment_id": c.segment_id,
        "control_percent": c.control_percent,
        "frequency_cap_s": None if c.frequency_cap is None else c.frequency_cap.total_seconds(),
        "trigger_tiers": sorted(c.trigger_tiers),
        "lapse_factor": c.lapse_factor,
        "state": int(c.state),
        "test": None,
    }
    if c.test is not None:
        doc["test"] = {
            "at": c.test.tested_at.isoformat(),
            "counts": {str(int(o)): n for o, n in c.test.counts.items()},
            "sample": [[cid, int(o)] for cid, o in c.test.sample],
        }
    return doc


def campaign_from_doc(campaign_id: str, d: Mapping[str, Any]) -> rules.Campaign:
    def ts(v: str | None) -> datetime | None:
        return None if v is None else datetime.fromisoformat(v)

    test = None
    if d.get("test"):
        t = d["test"]
        test = rules.TestResult(
            datetime.fromisoformat(t["at"]),
            {rules.Outcome(int(k)): int(n) for k, n in t["counts"].items()},
            tuple((cid, rules.Outcome(o)) for cid, o in t["sample"]),
        )
    return rules.Campaign(
        campaign_id,
        d["name"],
        rules.Trigger(d["trigger"]),
        d["channel"],
        d["template_id"],
        rules.Schedule(ts(d["starts_at"]), ts(d["ends_at"]), timedelta(seconds=d["delay_s"])),
        d["segment_id"],
        int(d["control_percent"]),
        None if d["frequency_cap_s"] is None else timedelta(seconds=d["frequency_cap_s"]),
        frozenset(d["trigger_tiers"]),
        float(d["lapse_factor"]),
        rules.CampaignState(d["state"]),
        test,
    )
