"""Re-examining a household once it shows: records linked on what two people share move to the one
they are.

A record without a birth date that arrives while only a father is known (the son of the same name at
the same address, his first record) links to the father: names, address and landline agree, and
nothing says otherwise. When a later record of the son shows the household (its birth date says two
people, its contact points say one home), each customer's records are looked at again against both:

- a record whose own evidence — a birth date, an identifier, a generational suffix, a personal e-mail
  or a mobile phone that the other customer does not hold — agrees with one of the two belongs there:
  it stays, or it moves to the other customer when that is where its evidence is;
- a record that shares with either only what the household shares (names, address, a landline, a
  household e-mail) cannot be told: it leaves for a customer of its own, with a match review against
  the customer it was in, the same decision it would get if it arrived now;
- a record a steward placed (a merge, a review's match, an unmerge) or said is not the other customer
  (``no_match``) is left where it is, and so are the records of a customer a steward merged.

Each move is an ordinary relink: the cross-reference history names the action, both customers get a
history entry with the reason and a ``CustomerUpdated`` (a new customer a ``CustomerCreated``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, select

from isthmus.customers.batch_io import comparisons_json
from isthmus.customers.deps import UnitOfWork, actor_json
from isthmus.customers.matching import Comparison, Features, Matcher, Scored, own_evidence, shared_contacts
from isthmus.customers.merging import relink
from isthmus.customers.records import Record
from isthmus.customers.steward import (
    ACTIVE,
    PENDING,
    emit_customer,
    golden_of,
    record_history,
    save,
    weigh_reviews,
)
from isthmus.customers.store import CustomerRow, SourceRow, customer_columns
from isthmus.customers.survivorship import Golden, diff
from isthmus.customers.tables import customers, match_reviews, merges
from isthmus.kernel.ids import new_uuid
from isthmus_client.api.customers.v1 import records_pb2 as pb
from isthmus_client.api.events.v1 import customers_pb2 as ev

CONFLICTING: int = pb.QUALITY_FLAG_CONFLICTING_VALUES
_AUTOMATIC = ("match:", "household:")


@dataclass
class Moves:
    """What a re-examination did: record -> the customer it now belongs to."""

    to: dict[tuple[str, str], str]
    reviews: dict[tuple[str, str], str]  # record -> the review opened for it (it left for its own customer)
    reexamined: int = 0  # pairs of customers looked at


@dataclass(frozen=True)
class _Verdict:
    ref: tuple[str, str]
    source: str  # the customer it is in
    target: str  # the customer it moves to; "" for a customer of its own
    reason: str
    scored: Scored  # against the customer it was in (a review shows it)
    linked: Scored | None = None  # against the customer it moves to


async def reexamine(
    uow: UnitOfWork,
    pairs: Sequence[tuple[str, str, tuple[str, str]]],
    matcher: Matcher,
    now: datetime,
    known: Mapping[tuple[str, str], Features] | None = None,
) -> Moves:
    """Re-examines the records of each household pair ``(customer, customer, the record that showed
    it)``; returns where records moved. ``known``: features the caller already holds of records as
    they are stored now (a batch's own records, its candidates'), not worked out again."""
    moves = Moves({}, {})
    ids = {cid for a, b, _ in pairs for cid in (a, b)}
    rows = await uow.repo.customer_rows(ids)
    pairs = [p for p in pairs if all(c in rows and rows[c].state == ACTIVE for c in p[:2]) and p[0] != p[1]]
    if not pairs:
        return moves
    moves.reexamined = len(pairs)
    ids = {cid for a, b, _ in pairs for cid in (a, b)}
    held = await uow.repo.source_rows_of(ids)
    stored = {_ref(s): s for cid in ids for s in held.get(cid, [])}
    refs = list(stored)
    settled = await _placed_by_steward(uow, ids, refs)
    refused = await uow.repo.no_match_pairs(refs)
    known = known or {}
    features = {ref: known.get(ref) or Features(Record.from_json(s.data)) for ref, s in stored.items()}
    verdicts: list[_Verdict] = []
    seen: set[tuple[str, str]] = set()
    for a, b, cause in pairs:
        members = {cid: [_ref(s) for s in held.get(cid, []) if _ref(s) not in seen] for cid in (a, b)}
        found = _Household(matcher, features, a, b, members, cause, settled, refused).verdicts()
        seen |= {v.ref for v in found}
        verdicts += found
    if verdicts:
        await _apply(uow, verdicts, rows, matcher, now, moves)
    return moves


def could_move(
    matcher: Matcher,
    features: Mapping[tuple[str, str], Features],
    members: Mapping[str, Sequence[tuple[str, str]]],
    a: str,
    b: str,
    cause: tuple[str, str],
) -> bool:
    """Whether re-examining the household of ``a`` and ``b`` (their records: ``members``) could move
    a record: one of them, other than ``cause``, links to the other customer as well (``Matcher.links``,
    what ``_Household`` looks at again; what a steward said only narrows that). ``False`` is certain, and
    the household is left as it is without reading anything more: it is nearly every household a
    large master shows, its people told apart by birth dates and given names (most records without
    scoring them: ``Matcher.never_links``)."""
    for x, y in ((a, b), (b, a)):
        theirs = [features[r] for r in members[y]]
        if not theirs:
            continue
        for ref in members[x]:
            if ref == cause or matcher.never_links(features[ref], theirs):
                continue
            if matcher.links(matcher.score(features[ref], y, theirs)):
                return True
    return False


def connected(
    pairs: Sequence[tuple[str, str, tuple[str, str]]], chosen: set[int]
) -> list[tuple[str, str, tuple[str, str]]]:
    """The ``pairs`` at the positions ``chosen``, and those sharing a customer with one of them,
    directly or through others, in their order: re-examining a household can move a record out of
    a customer, and that changes what another household of that customer compares."""
    chosen = set(chosen)
    involved = {cid for i in chosen for cid in pairs[i][:2]}
    grew = bool(chosen)
    while grew:
        grew = False
        for i, (a, b, _) in enumerate(pairs):
            if i not in chosen and (a in involved or b in involved):
                chosen.add(i)
                involved |= {a, b}
                grew = True
    return [pair for i, pair in enumerate(pairs) if i in chosen]


def _ref(s: SourceRow) -> tuple[str, str]:
    return (s.source_system, s.source_id)


class _Household:
    """Two customers of one household, and where each of their records belongs.

    A record that contradicts the other customer (its birth date, identifier, generation or given
    name: ``against``) shows which person it is: it stays, and with the others like it it is what the
    rest are compared with. So does a record a steward placed. Each other record that could be either
    person's is compared with those of each customer; what agrees that only one person holds (a birth
    date, a personal e-mail, a mobile) says whose it is, and a record so placed is compared with in
    turn. A record that agrees with either only on what the household shares is a steward's to decide.
    """

    def __init__(
        self,
        matcher: Matcher,
        features: dict[tuple[str, str], Features],
        a: str,
        b: str,
        members: dict[str, list[tuple[str, str]]],
        cause: tuple[str, str],
        settled: set[Any],
        refused: set[tuple[str, str, str]],
    ) -> None:
        self.matcher, self.features, self.members = matcher, features, members
        self.other = {a: b, b: a}
        self.known: dict[str, list[tuple[str, str]]] = {a: [], b: []}  # records that show their person
        self.open: dict[str, list[tuple[str, str]]] = {a: [], b: []}  # records either person's
        for x, y in ((a, b), (b, a)):
            theirs = self._of(members[y])
            for ref in members[x]:
                f = features[ref]
                # Settled, or someone else to each of the other's records (told without scoring).
                if x in settled or ref in settled or not theirs or matcher.never_links(f, theirs):
                    self.known[x].append(ref)
                    continue
                scored = matcher.score(f, y, theirs)
                if scored.against:
                    self.known[x].append(ref)
                elif ref != cause and (*ref, y) not in refused and matcher.links(scored):
                    self.open[x].append(ref)

    def _of(self, refs: Sequence[tuple[str, str]]) -> list[Features]:
        return [self.features[r] for r in refs]

    def verdicts(self) -> list[_Verdict]:
        out: list[_Verdict] = []
        placed = True
        while placed:  # a record placed by its evidence is compared with in the next round
            placed = False
            (a, xs), (b, ys) = self.known.items()
            household = shared_contacts(self._of(xs), self._of(ys))
            for x in (a, b):
                y = self.other[x]
                for ref in list(self.open[x]):
                    f = self.features[ref]
                    ours = self.matcher.score(f, x, self._of(self.known[x])) if self.known[x] else None
                    theirs = self.matcher.score(f, y, self._of(self.known[y])) if self.known[y] else None
                    for_x = own_evidence(ours.comparisons, household) if ours and not ours.against else []
                    for_y = own_evidence(theirs.comparisons, household) if theirs else []
                    if for_x and for_y:
                        self.open[x].remove(ref)  # stays where it is
                    elif for_x:
                        self.open[x].remove(ref)
                        self.known[x].append(ref)
                        placed = True
                    elif for_y and self._keeps_one(x, out):
                        self.open[x].remove(ref)
                        self.known[y].append(ref)
                        placed = True
                        out.append(self._move(ref, x, y, for_y))
        for x in (a, b):
            y = self.other[x]
            staying = len(self.members[x]) - sum(v.source == x for v in out) - len(self.open[x])
            for ref in self.open[x][: len(self.open[x]) - (staying < 1)]:  # a customer keeps a record
                out.append(
                    _Verdict(
                        ref,
                        x,
                        "",
                        f"shares with {x} and with {y}, two people of one household, only what the"
                        " household shares",
                        self._score(ref, x),
                    )
                )
        return out

    def _keeps_one(self, x: str, out: list[_Verdict]) -> bool:
        """Whether ``x`` still holds a record when one more leaves."""
        return len(self.members[x]) - sum(v.source == x for v in out) > 1

    def _score(self, ref: tuple[str, str], cid: str) -> Scored:
        """The record against the other records of a customer it is in or moves to."""
        others = self._of([r for r in self.members[cid] if r != ref])
        return self.matcher.score(self.features[ref], cid, others) if others else Scored(cid, 0.0, ())

    def _move(self, ref: tuple[str, str], x: str, y: str, evidence: list[Comparison]) -> _Verdict:
        shown = "; ".join(f"{c.comparator}: {c.explanation}" for c in evidence)
        linked = self.matcher.score(self.features[ref], y, self._of(self.members[y]))
        return _Verdict(ref, x, y, f"its own evidence agrees with {y} ({shown})", self._score(ref, x), linked)


async def _placed_by_steward(uow: UnitOfWork, ids: set[str], refs: list[tuple[str, str]]) -> set[Any]:
    """The customers a steward merged into, and the records a steward placed (open links made by a
    steward's merge or an unmerge): re-examining leaves them where they are."""
    m = merges.c
    merged = (
        await uow.session.execute(
            select(m.merge_id, m.surviving_id, m.actor).where(
                and_(m.surviving_id.in_(list(ids)), m.undone_by.is_(None))
            )
        )
    ).all()
    by_steward = {r.merge_id for r in merged if _steward(r.actor)}
    out: set[Any] = {r.surviving_id for r in merged if r.merge_id in by_steward}
    links = await uow.repo.open_links(refs)
    automatic_merges = {r.merge_id for r in merged if r.merge_id not in by_steward}
    for ref, action in links.items():
        if action.startswith(_AUTOMATIC):
            continue
        if action.startswith("merge:") and action.split(":")[1] in automatic_merges:
            continue
        out.add(ref)
    return out


def _steward(actor: Any) -> bool:
    return bool(actor) and actor.get("id") != actor_json(None)["id"]


async def _apply(
    uow: UnitOfWork,
    verdicts: list[_Verdict],
    rows: dict[str, CustomerRow],
    matcher: Matcher,
    now: datetime,
    moves: Moves,
) -> None:
    action_id = new_uuid()
    action = f"household:{action_id}"
    reasons: dict[str, list[str]] = {}
    related: dict[str, set[str]] = {}
    for v in verdicts:
        target = v.target or await _new_customer(uow, now)
        await relink(uow, [v.ref], target, action, now)
        if v.linked is not None:
            outcome = (
                pb.MATCH_OUTCOME_LINKED_DETERMINISTIC
                if v.linked.deterministic
                else pb.MATCH_OUTCOME_LINKED_PROBABILISTIC
            )
            comparisons = comparisons_json(v.linked.comparisons)
            await uow.repo.set_link(v.ref, outcome, v.linked.score, matcher.model.version, comparisons)
        else:
            await uow.repo.set_link(v.ref, pb.MATCH_OUTCOME_REVIEW_OPENED, v.scored.score, None, None)
        moves.to[v.ref] = target
        what = f"source record {v.ref[0]}/{v.ref[1]}"
        reasons.setdefault(v.source, []).append(f"{what} moved to {target}: {v.reason}")
        related.setdefault(v.source, set()).add(target)
        if v.target:
            reasons.setdefault(target, []).append(f"{what} moved from {v.source}: {v.reason}")
            related.setdefault(target, set()).add(v.source)
    pending: set[str] = set()
    opened: list[str] = []
    for v in verdicts:
        if v.target:
            continue
        target = moves.to[v.ref]
        review_id = await _review(uow, v, target, matcher, now)
        moves.reviews[v.ref] = review_id
        opened.append(review_id)
        pending.add(v.source)
        row = await uow.repo.customer_row(target)
        assert row is not None
        golden = await golden_of(uow, target)
        flags: set[int] = {PENDING} | ({CONFLICTING} if golden.conflicting else set())
        version = await save(uow, row, golden, state=ACTIVE, merged_into=None, flags=flags, now=now)
        await record_history(
            uow,
            target,
            pb.HISTORY_ENTRY_KIND_CREATED,
            now,
            None,
            version=version,
            action_id=action_id,
            reason=f"source record {v.ref[0]}/{v.ref[1]} moved out of {v.source}: {v.reason};"
            f" match review {review_id}",
            changes=diff({}, golden.flat()),
            related=[v.source],
            source=v.ref,
        )
        await emit_customer(uow, target, v.ref, None)
    if opened:
        await weigh_reviews(uow.session, opened)
    for cid, why in reasons.items():
        row = rows[cid]
        golden = await golden_of(uow, cid)
        kept: set[int] = set(row.flags) | ({PENDING} if cid in pending else set())
        kept.discard(CONFLICTING)
        if golden.conflicting:
            kept.add(CONFLICTING)
        version = await save(uow, row, golden, state=ACTIVE, merged_into=None, flags=kept, now=now)
        changes = diff(Golden.from_json(row.golden).flat(), golden.flat())
        await record_history(
            uow,
            cid,
            pb.HISTORY_ENTRY_KIND_SOURCE_RECORD_APPLIED,
            now,
            None,
            version=version,
            action_id=action_id,
            reason="; ".join(why),
            changes=changes,
            related=sorted(related[cid]),
        )
        await emit_customer(uow, cid, None, sorted({c[0] for c in changes}))


async def _new_customer(uow: UnitOfWork, now: datetime) -> str:
    """An empty active customer, for a record that leaves for one of its own (its golden record is
    computed once the record is there)."""
    cid = new_uuid()
    empty = Golden()
    await uow.repo.insert(
        customers,
        [
            {
                "customer_id": cid,
                "merged_into_id": None,
                "create_time": now,
                "state": ACTIVE,
                "version": 0,
                "golden": empty.to_json(),
                "flags": [],
                "update_time": now,
                **customer_columns(empty),
            }
        ],
    )
    return cid


async def _review(uow: UnitOfWork, v: _Verdict, candidate: str, matcher: Matcher, now: datetime) -> str:
    """A steward's review of the record (now its own customer) against the customer it was in."""
    review_id = new_uuid()
    s = v.scored
    await uow.repo.insert(
        match_reviews,
        [
            {
                "review_id": review_id,
                "state": pb.MATCH_REVIEW_STATE_OPEN,
                "candidate_system": v.ref[0],
                "candidate_id": v.ref[1],
                "candidate_customer_id": candidate,
                "existing_customer_id": v.source,
                "score": s.score,
                "lower_threshold": matcher.lower,
                "upper_threshold": matcher.upper,
                "comparisons": comparisons_json(s.comparisons),
                "match_model": matcher.model.version,
                "uncertain": v.reason,
                "create_time": now,
                "resolve_time": None,
                "resolved_by": None,
                "note": "",
                "version": 1,
            }
        ],
    )
    uow.record(
        ev.MatchReviewOpened(
            review_id=review_id,
            candidate_customer_id=candidate,
            existing_customer_id=v.source,
            score=s.score,
            candidate_record=pb.SourceReference(
                source_system=v.ref[0],
                source_id=v.ref[1],
                link_outcome=pb.MATCH_OUTCOME_REVIEW_OPENED,
                score=s.score,
            ),
        ),
        review_id,
    )
    return review_id
