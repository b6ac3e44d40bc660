"""Customer profiles and segments over one transaction: the profiles learnt from events, segment
versions (create, revise, publish, dry run) and segment membership kept incrementally, publishing
who enters and leaves. Rules live in segments.py; this module reads and writes the tables and asks the
publisher for events. A customer entering a segment is a trigger: campaigns (engagement_campaigns.py)
decide on it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from isthmus.kernel.errors import FailedPrecondition, NotFound
from isthmus.kernel.ids import new_uuid
from isthmus.platform import jsoncodec
from isthmus.platform.sql import any_of, insert_many
from isthmus.value import campaigns as rules
from isthmus.value import segments
from isthmus.value.engagement_rows import ProfileRows
from isthmus.value.engagement_tables import engagement_profiles, segment_members, segment_versions

CHUNK = 1000
_PROFILES = select(engagement_profiles).where(any_of(engagement_profiles.c.customer_id, "ids"))
_MEMBERSHIPS = select(
    segment_members.c.customer_id, segment_members.c.segment_id, segment_members.c.version
).where(any_of(segment_members.c.customer_id, "ids"))
_LEAVE = delete(segment_members).where(
    segment_members.c.segment_id == bindparam("segment_id"), any_of(segment_members.c.customer_id, "ids")
)
_VERSIONS = (
    select(segment_versions)
    .where(any_of(segment_versions.c.segment_id, "ids"))
    .order_by(segment_versions.c.segment_id, segment_versions.c.version)
)
_MEMBER_COUNTS = (
    select(segment_members.c.segment_id, func.count().label("n"))
    .where(any_of(segment_members.c.segment_id, "ids"))
    .group_by(segment_members.c.segment_id)
)


class Publisher(Protocol):
    """Records the context's events in the caller's transaction (the outbox)."""

    async def segment_entered(
        self, session: AsyncSession, customer_id: str, segment: segments.SegmentVersion, at: datetime
    ) -> None: ...

    async def segment_left(
        self, session: AsyncSession, customer_id: str, segment_id: str, version: int, name: str, at: datetime
    ) -> None: ...

    async def message_requested(
        self, session: AsyncSession, request: rules.MessageRequest, at: datetime
    ) -> None: ...

    async def cart_abandoned(self, session: AsyncSession, cart: Any, at: datetime) -> None:
        """``cart`` is the RecordAbandonedCartRequest, recorded for the first time."""
        ...

    async def message_withdrawn(
        self,
        session: AsyncSession,
        message_id: str,
        campaign_id: str,
        customer_id: str,
        reason: str,
        at: datetime,
    ) -> None: ...


# The value facts of customers (value, RFM, tier, churn) as Profile fields, from the value tables.
ValueFacts = Callable[[AsyncSession, Sequence[str]], Awaitable[Mapping[str, Mapping[str, Any]]]]


async def no_value_facts(session: AsyncSession, ids: Sequence[str]) -> Mapping[str, Mapping[str, Any]]:
    """Before any value is scored: every customer has the Profile defaults."""
    return {}


@dataclass
class Audience(ABC):
    """Profiles and segments; ``Campaigns`` (engagement_campaigns.py) adds the campaigns and decides
    what a customer entering a segment triggers."""

    session: AsyncSession
    clock: Callable[[], datetime]
    publisher: Publisher
    value_facts: ValueFacts = no_value_facts
    # A batch of events: profiles read at once and written at once (engagement_rows.py).
    batched: bool = False
    rows: ProfileRows = field(init=False, repr=False)
    _segments: list[segments.SegmentVersion] | None = field(default=None, repr=False)
    # Profiles this unit of work made: decided against every segment once (see change_profile).
    _created: set[str] = field(default_factory=set, repr=False)
    # Customer -> the segments to decide for them (a batch decides them together: decide_due).
    _due: dict[str, set[str]] = field(default_factory=dict, repr=False)

    # ------------------------------------------------------------ profiles

    def __post_init__(self) -> None:
        self.rows = ProfileRows(self.session, self.clock, batched=self.batched)

    async def _profile_row(self, customer_id: str, *, create: bool) -> dict[str, Any] | None:
        row, made = await self.rows.get(customer_id, create=create)
        if made:
            self._created.add(customer_id)
        return row

    async def change_profile(self, customer_id: str, changes: Mapping[str, Any]) -> frozenset[str]:
        """Apply ``changes`` (column → value; lists as Python lists) and re-evaluate affected segments.

        Returns the Profile fields that changed.
        """
        row = await self._profile_row(customer_id, create=True)
        assert row is not None
        if row["erased"] or row["merged_into"]:
            return frozenset()
        stored = {
            k: jsoncodec.dumps(sorted(v)) if isinstance(v, (list, set, frozenset)) else v
            for k, v in changes.items()
        }
        changed = {k for k, v in stored.items() if row.get(k) != v}
        new = self._made(customer_id)
        if not changed and not new:
            return frozenset()
        if changed:
            await self.rows.change(row, {k: stored[k] for k in changed})
        fields = _profile_fields(changed)
        await self.reevaluate(customer_id, None if new else fields)
        return fields

    async def facts_changed(self, customer_id: str, fields: Iterable[str]) -> None:
        """Facts read from elsewhere (the value scores) changed: re-decide the segments that read them."""
        row = await self._profile_row(customer_id, create=True)
        assert row is not None
        if row["erased"] or row["merged_into"]:
            return
        await self.reevaluate(customer_id, None if self._made(customer_id) else fields)

    def _made(self, customer_id: str) -> bool:
        """Whether this unit of work made the customer's profile. A new profile is decided against every
        segment: the events of different sources come in any order, and the value scores may be there
        before the first order event makes the profile; no later change would bring the segments that
        read them."""
        made = customer_id in self._created
        self._created.discard(customer_id)
        return made

    async def set_profile(self, customer_id: str, values: Mapping[str, Any]) -> None:
        """Write columns of a stored profile as they are, deciding nothing (merges, erasures)."""
        await self.decide_due()
        await self.rows.write(customer_id, values)

    async def finish_batch(self) -> None:
        """After a batch's last event: the segment decisions and the profile writes it owes."""
        await self.decide_due()
        await self.rows.flush()

    async def profiles(self, ids: Sequence[str]) -> list[segments.Profile]:
        await self.rows.flush()
        rows = (await self.session.execute(_PROFILES, {"ids": list(ids)})).all()
        facts = await self.value_facts(self.session, [r.customer_id for r in rows])
        today = self.clock().date()
        return [_profile(dict(r._mapping), facts.get(r.customer_id, {}), today) for r in rows]

    async def all_profiles(self) -> AsyncIterator[segments.Profile]:
        await self.rows.flush()
        after = ""
        while True:
            ids = list(
                await self.session.scalars(
                    select(engagement_profiles.c.customer_id)
                    .where(
                        engagement_profiles.c.customer_id > after,
                        engagement_profiles.c.erased.is_(False),
                        engagement_profiles.c.merged_into.is_(None),
                    )
                    .order_by(engagement_profiles.c.customer_id)
                    .limit(CHUNK)
                )
            )
            if not ids:
                return
            for profile in await self.profiles(ids):
                yield profile
            after = ids[-1]

    async def contact(self, customer_id: str) -> rules.Contact:
        return _contact(customer_id, await self._profile_row(customer_id, create=False))

    async def contacts(self, customer_ids: Sequence[str]) -> dict[str, rules.Contact]:
        """``contact`` for each of these customers, their profiles read with one statement."""
        rows = await self.rows.get_many(customer_ids)
        return {c: _contact(c, rows.get(c)) for c in customer_ids}

    # ------------------------------------------------------------ segments

    async def published_segments(self) -> list[segments.SegmentVersion]:
        if self._segments is None:
            rows = await self.session.execute(
                select(segment_versions).where(segment_versions.c.current.is_(True))
            )
            self._segments = [_version(r) for r in rows]
        return self._segments

    async def _memberships(self, customer_ids: Sequence[str]) -> dict[str, dict[str, int]]:
        """Segment id -> version of each customer's memberships (customers in none are left out)."""
        found: dict[str, dict[str, int]] = {}
        for r in await self.session.execute(_MEMBERSHIPS, {"ids": list(customer_ids)}):
            found.setdefault(r.customer_id, {})[r.segment_id] = int(r.version)
        return found

    async def reevaluate(self, customer_id: str, changed: Iterable[str] | None) -> None:
        """Decide the segments that read a changed field for one customer; publish who entered and left.

        In a batch the decision waits, to be made for all the batch's customers at once
        (:meth:`decide_due`): before anything reads or changes memberships, and at the batch's end.
        """
        wanted = segments.relevant(await self.published_segments(), changed)
        if not wanted:
            return
        self._due.setdefault(customer_id, set()).update(s.segment_id for s in wanted)
        if not self.batched:
            await self.decide_due()

    async def decide_due(self) -> None:
        """Decide the segments owed so far: profiles, their value facts and memberships read once for
        all their customers, the customers who enter written together."""
        due, self._due = self._due, {}
        if not due:
            return
        published = await self.published_segments()
        found = {p.customer_id: p for p in await self.profiles(list(due))}
        current = await self._memberships(list(found))
        diffs = [
            segments.membership_diff(
                found[c], [s for s in published if s.segment_id in ids], current.get(c, {})
            )
            for c, ids in due.items()
            if c in found
        ]
        await self._apply_diffs(diffs, {s.segment_id: s for s in published})

    async def _apply_diffs(
        self, diffs: Sequence[segments.MembershipDiff], by_id: Mapping[str, segments.SegmentVersion]
    ) -> None:
        now = self.clock()
        entered = [(d.customer_id, segment_id, version) for d in diffs for segment_id, version in d.entered]
        await insert_many(
            self.session,
            segment_members,
            [{"segment_id": s, "customer_id": c, "version": v, "enter_time": now} for c, s, v in entered],
        )
        for customer_id, segment_id, _version in entered:
            await self.publisher.segment_entered(self.session, customer_id, by_id[segment_id], now)
        left = [(d.customer_id, segment_id, version) for d in diffs for segment_id, version in d.left]
        for segment_id in dict.fromkeys(s for _, s, _ in left):
            await self.session.execute(
                _LEAVE, {"segment_id": segment_id, "ids": [c for c, s, _ in left if s == segment_id]}
            )
        for customer_id, segment_id, version in left:
            name = by_id[segment_id].name if segment_id in by_id else ""
            await self.publisher.segment_left(self.session, customer_id, segment_id, version, name, now)
        await self.occur_all(
            [
                rules.Occurrence(
                    rules.Trigger.SEGMENT_ENTERED,
                    customer_id,
                    now,
                    reference=f"segment:{segment_id}:{version}",
                    segment_id=segment_id,
                )
                for customer_id, segment_id, version in entered
            ]
        )

    async def leave_all(self, customer_id: str) -> None:
        """A merged or erased customer leaves every segment."""
        await self.decide_due()
        current = (await self._memberships([customer_id])).get(customer_id, {})
        by_id = {s.segment_id: s for s in await self.published_segments()}
        diff = segments.MembershipDiff(customer_id, (), tuple(current.items()))
        await self._apply_diffs([diff], by_id)

    async def segment(
        self, segment_id: str
    ) -> tuple[segments.SegmentVersion | None, segments.SegmentVersion | None, int]:
        """(published version in force, draft, member count); NotFound when unknown."""
        found = await self.segments_of([segment_id])
        if segment_id not in found:
            raise NotFound(f"segment {segment_id} does not exist")
        return found[segment_id]

    async def segments_of(
        self, segment_ids: Sequence[str]
    ) -> dict[str, tuple[segments.SegmentVersion | None, segments.SegmentVersion | None, int]]:
        """``segment``'s answer for each of these segments that exists, with two statements however
        many are asked for (a page of them is listed this way)."""
        published: dict[str, segments.SegmentVersion | None] = {}
        drafts: dict[str, segments.SegmentVersion | None] = {}
        ids = {"ids": list(segment_ids)}
        for r in await self.session.execute(_VERSIONS, ids):
            v = _version(r)
            published.setdefault(v.segment_id, None)
            drafts.setdefault(v.segment_id, None)
            if r.current:
                published[v.segment_id] = v
            if v.state is segments.SegmentState.DRAFT and drafts[v.segment_id] is None:
                drafts[v.segment_id] = v
        counts = {r.segment_id: int(r.n) for r in await self.session.execute(_MEMBER_COUNTS, ids)}
        return {s: (published[s], drafts[s], counts.get(s, 0)) for s in published}

    async def create_segment(self, name: str, description: str, rule: segments.Rule) -> str:
        draft = segments.next_version(None, name, rule, description, self.clock())
        segment_id = new_uuid()
        await self._insert_version(replace(draft, segment_id=segment_id))
        return segment_id

    async def revise_segment(self, segment_id: str, name: str, description: str, rule: segments.Rule) -> None:
        published, draft, _ = await self.segment(segment_id)
        new = segments.next_version(draft or published, name, rule, description, self.clock())
        if draft is not None:
            await self.session.execute(
                delete(segment_versions).where(
                    segment_versions.c.segment_id == segment_id, segment_versions.c.version == draft.version
                )
            )
        await self._insert_version(new)

    async def _insert_version(self, v: segments.SegmentVersion) -> None:
        await self.session.execute(
            insert(segment_versions).values(
                segment_id=v.segment_id,
                version=v.version,
                name=v.name,
                description=v.description,
                rule=jsoncodec.dumps(v.rule.to_json()),
                state=int(v.state),
                current=False,
                create_time=v.created_at or self.clock(),
                publish_time=v.published_at,
            )
        )

    async def publish_segment(self, segment_id: str) -> tuple[int, int]:
        """Publish the draft and evaluate every customer against it: (entered, left)."""
        _, draft, _ = await self.segment(segment_id)
        if draft is None:
            raise FailedPrecondition(
                f"segment {segment_id} has no draft to publish (ReviseSegment makes one)"
            )
        live = segments.publish(draft, self.clock())
        await self.session.execute(
            update(segment_versions).where(segment_versions.c.segment_id == segment_id).values(current=False)
        )
        await self.session.execute(
            update(segment_versions)
            .where(segment_versions.c.segment_id == segment_id, segment_versions.c.version == live.version)
            .values(state=int(live.state), current=True, publish_time=live.published_at)
        )
        self._segments = None
        members = {
            r.customer_id: int(r.version)
            for r in await self.session.execute(
                select(segment_members.c.customer_id, segment_members.c.version).where(
                    segment_members.c.segment_id == segment_id
                )
            )
        }
        seen: set[str] = set()
        diffs: list[segments.MembershipDiff] = []
        counts = [0, 0]

        async def apply() -> None:
            # A thousand customers at a time: their memberships, events and campaign decisions are
            # written with a few statements each time, not a few a customer.
            await self._apply_diffs(diffs, {segment_id: live})
            counts[0] += sum(len(d.entered) for d in diffs)
            counts[1] += sum(len(d.left) for d in diffs)
            diffs.clear()

        async for profile in self.all_profiles():
            seen.add(profile.customer_id)
            current = {segment_id: members[profile.customer_id]} if profile.customer_id in members else {}
            diff = segments.membership_diff(profile, [live], current)
            if diff.entered or diff.left:
                diffs.append(diff)
                if len(diffs) == CHUNK:
                    await apply()
        for customer_id in sorted(set(members) - seen):  # merged or erased meanwhile
            diffs.append(segments.MembershipDiff(customer_id, (), ((segment_id, members[customer_id]),)))
            if len(diffs) == CHUNK:
                await apply()
        await apply()
        return counts[0], counts[1]

    async def dry_run_segment(self, rule: segments.Rule, sample_size: int) -> segments.DryRun:
        matched = evaluated = 0
        sample: list[str] = []
        async for profile in self.all_profiles():
            evaluated += 1
            if rule.matches(profile):
                matched += 1
                if len(sample) < sample_size:
                    sample.append(profile.customer_id)
        return segments.DryRun(matched, evaluated, tuple(sample))

    async def segment_ids(self, after: str, limit: int) -> list[str]:
        return list(
            await self.session.scalars(
                select(segment_versions.c.segment_id)
                .where(segment_versions.c.segment_id > after)
                .group_by(segment_versions.c.segment_id)
                .order_by(segment_versions.c.segment_id)
                .limit(limit)
            )
        )

    async def members(self, segment_id: str, after: str, limit: int) -> list[tuple[str, int, datetime]]:
        await self.segment(segment_id)
        rows = await self.session.execute(
            select(segment_members)
            .where(segment_members.c.segment_id == segment_id, segment_members.c.customer_id > after)
            .order_by(segment_members.c.customer_id)
            .limit(limit)
        )
        return [(r.customer_id, int(r.version), r.enter_time) for r in rows]

    @abstractmethod
    async def occur_all(self, occurrences: Sequence[rules.Occurrence]) -> list[rules.Decision]:
        """Things happened (here: customers entered segments); the campaigns answering each decide.

        The campaigns (engagement_campaigns.py) do this; profiles and segments alone know none.
        """


_COLUMN_FIELDS = {
    "consents": ("consents",),
    "suppressed": ("suppressed",),
    "open_complaints": ("open_complaints",),
    "channels": ("channels",),
    "categories": ("categories",),
    "order_dates": ("days_since_last_order",),
    "orders": ("orders",),
    "country": ("country",),
    "region": ("region",),
    "city": ("city",),
    "postal_code": ("postal_code",),
    "loyalty_tier": ("loyalty_tier",),
    "value_tier": ("tier",),
    "traits": (segments.TRAITS,),
}


def _profile_fields(columns: Iterable[str]) -> frozenset[str]:
    return frozenset(f for c in columns for f in _COLUMN_FIELDS.get(c, ()))


def _profile(row: Mapping[str, Any], facts: Mapping[str, Any], today: date) -> segments.Profile:
    dates = jsoncodec.loads(row["order_dates"])
    last = max(date.fromisoformat(d) for d in dates) if dates else None
    values: dict[str, Any] = {
        "customer_id": row["customer_id"],
        "consents": frozenset(jsoncodec.loads(row["consents"])),
        "suppressed": bool(row["suppressed"]),
        "open_complaints": len(jsoncodec.loads(row["open_complaints"])),
        "channels": frozenset(jsoncodec.loads(row["channels"])),
        "categories": frozenset(jsoncodec.loads(row["categories"])),
        "orders": int(row["orders"]),
        "days_since_last_order": None if last is None else (today - last).days,
        "country": row["country"],
        "region": row["region"],
        "city": row["city"],
        "postal_code": row["postal_code"],
        "loyalty_tier": row["loyalty_tier"],
        "tier": row["value_tier"],
        "traits": jsoncodec.loads(row["traits"]),
    }
    values.update(facts)
    return segments.Profile(**values)


def _contact(customer_id: str, row: Mapping[str, Any] | None) -> rules.Contact:
    """What a campaign's decision reads of a customer's profile row (none: nothing known)."""
    if row is None or row["erased"]:
        return rules.Contact(customer_id)
    return rules.Contact(
        customer_id,
        frozenset(jsoncodec.loads(row["consents"])),
        bool(row["suppressed"]),
        len(jsoncodec.loads(row["open_complaints"])),
    )


def _version(r: Any) -> segments.SegmentVersion:
    return segments.SegmentVersion(
        r.segment_id,
        int(r.version),
        r.name,
        segments.parse_rule(jsoncodec.loads(r.rule)),
        segments.SegmentState(r.state),
        r.description,
        r.create_time,
        r.publish_time,
    )
