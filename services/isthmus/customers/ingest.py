"""Use case: upsert source records (one or a batch) and resolve each to a golden customer.

A batch runs in one transaction with few queries whatever its size: lock the batch's source rows,
read tombstones, then, for each slice of 250 new records, the candidates under their blocking keys
and the match profiles of those candidates' source records. In memory and in order (so that
duplicates inside one batch find each other), every record is decided: linked, reviewed, or a new
customer; a slice is decided while the next one is read. Only the customers the batch changes need
their source records in full (survivorship works on them): those are read in one more query, the
golden records recomputed in the same order, and everything written with multi-row statements, each
prepared while the one before runs.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from isthmus.customers import convert
from isthmus.customers.batch_io import CandidateReads, Writes, comparisons_json
from isthmus.customers.deps import UnitOfWork, actor_json, new_id
from isthmus.customers.households import reexamine
from isthmus.customers.incoming import (
    ACTIVE,
    CONFLICTING,
    INSUFFICIENT,
    OUTCOMES,
    PENDING,
    Application,
    Incoming,
    Upserted,
    Working,
)
from isthmus.customers.matching import (
    Comparison,
    Decision,
    Features,
    Outcome,
    Scored,
    own_evidence,
    shared_contacts,
)
from isthmus.customers.merging import merge_into
from isthmus.customers.records import Record
from isthmus.customers.store import CustomerRow, ProfileRow, SourceRow, customer_columns
from isthmus.customers.survivorship import diff, golden_record
from isthmus.customers.tables import blocking_keys as blocking_keys_table
from isthmus.customers.tables import (
    customers,
    history,
    household_links,
    match_reviews,
    source_records,
    xref_history,
)
from isthmus.kernel.errors import DomainError, FailedPrecondition
from isthmus.kernel.timestamps import aware
from isthmus.platform import auth
from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.customers.v1 import records_pb2 as pb
from isthmus_client.api.events.v1 import customers_pb2 as ev


class Batch:
    def __init__(self, uow: UnitOfWork, items: list[Incoming], actor: common_pb2.Actor | None) -> None:
        self.uow = uow
        self.deps = uow.deps
        self.items = items
        self.actor = actor_json(actor) if actor is not None and actor.id else actor_json(None)
        self.now = self.deps.clock()
        self.working: dict[str, Working] = {}
        self.features: dict[tuple[str, str], Features] = {}
        self.held: dict[tuple[str, str], SourceRow] = {}
        # blocking key -> customers this batch created or linked a record to under it
        self.key_index: dict[str, set[str]] = {}
        self.stored_candidates: dict[tuple[str, str], list[tuple[str, int]]] = {}
        # decided, then applied to golden records in this order
        self.applications: list[Application] = []
        # pending writes
        self.new_sources: dict[tuple[str, str], dict[str, Any]] = {}
        self.updated_sources: dict[tuple[str, str], tuple[dict[str, Any], int]] = {}
        self.keys_for: dict[tuple[str, str], set[str]] = {}
        self.history_rows: list[dict[str, Any]] = []
        self.review_rows: list[dict[str, Any]] = []
        self.xref_rows: list[dict[str, Any]] = []
        # (customer, customer) -> household link row, the pair in id order
        self.household_rows: dict[tuple[str, str], dict[str, Any]] = {}
        self.new_households: list[dict[str, Any]] = []  # those not known before the batch
        self.matcher = self.deps.matcher  # one model for the whole batch, even if another is loaded meanwhile
        self.lifted_tombstones: list[tuple[str, str]] = []
        # (customer linked to, another customer the record matched as well, the record)
        self.bridges: list[tuple[str, str, tuple[str, str]]] = []

    async def run(self) -> list[Upserted]:
        repo = self.uow.repo
        refs = list(dict.fromkeys(i.record.ref for i in self.items))
        self.held = await repo.source_rows(refs, lock=True)
        tombs = await repo.tombstones(refs)
        keys: set[str] = set()
        for item in self.items:
            self.features[item.record.ref] = item.features
            self.keys_for[item.record.ref] = item.keys
            if item.record.ref not in self.held:
                keys |= self.keys_for[item.record.ref]
        await repo.lock_keys(keys)
        await self._load_held({s.customer_id for s in self.held.values()})
        new_refs = list(dict.fromkeys(i.record.ref for i in self.items if i.record.ref not in self.held))
        results = []
        async with CandidateReads(self._candidates, new_refs) as reads:
            for n, item in enumerate(self.items):
                ref = item.record.ref
                await reads.ready(ref, n)
                if ref in tombs and ref not in self.held:
                    if not item.record.lawful_basis:
                        results.append(
                            self._rejected(
                                item,
                                FailedPrecondition(
                                    f"lawful_basis: record {ref[0]}/{ref[1]} belongs to an erased customer;"
                                    " send it again with a new lawful_basis to bring it back"
                                ),
                            )
                        )
                        continue
                    self.lifted_tombstones.append(ref)
                    del tombs[ref]
                if ref in self.held:
                    results.append(self._refresh(item))
                else:
                    results.append(self._resolve(item))
        changing = {a.w.customer_id for a in self.applications if not a.w.created}
        changing |= {a.review_against.customer_id for a in self.applications if a.review_against}
        await self._load_members(changing)
        for a in self.applications:
            self._apply(a)
        await self._write()
        moved: dict[str, str] = {}
        if self.bridges:
            moved = await self._merge_bridged()
            for r in results:
                r.customer_id = moved.get(r.customer_id, r.customer_id)
        if self.new_households:
            await self._reexamine_households(moved, results)
        return results

    async def _reexamine_households(self, moved: dict[str, str], results: list[Upserted]) -> None:
        """A household the batch showed may hold records linked to the wrong one of its people
        (``households.reexamine``): they move, and the batch's answers say where to."""
        pairs = [
            (
                moved.get(row["customer_a"], row["customer_a"]),
                moved.get(row["customer_b"], row["customer_b"]),
                (row["source_system"], row["source_id"]),
            )
            for row in self.new_households
        ]
        moves = await reexamine(self.uow, pairs, self.matcher, self.now)
        for r in results:
            ref = (r.source_system, r.source_id)
            if ref in moves.to:
                r.customer_id = moves.to[ref]
                if ref in moves.reviews:
                    r.outcome, r.review_id = pb.MATCH_OUTCOME_REVIEW_OPENED, moves.reviews[ref]

    async def _candidates(self, refs: list[tuple[str, str]]) -> None:
        """Stored candidates of these new records, with the match profiles of their source records."""
        match = self.deps.settings.match
        ranked, profiles = await self.uow.repo.candidates(
            [self.keys_for[ref] for ref in refs],
            match.max_candidates,
            match.max_key_records,
            with_records=self.matcher.needs_records,  # comparators from plugins read whole records
        )
        self.stored_candidates.update(zip(refs, ranked, strict=True))
        self._profiled(profiles)

    # --- reading ------------------------------------------------------------------------------------

    def _ranked(self, ref: tuple[str, str]) -> list[tuple[str, int]]:
        """Candidates for a record: those stored before the batch, and customers the batch made or grew."""
        counts: Counter[str] = Counter(dict(self.stored_candidates.get(ref, ())))
        for k in self.keys_for[ref]:
            for cid in self.key_index.get(k, ()):
                counts[cid] += 1
        return counts.most_common(self.deps.settings.match.max_candidates)

    async def _load_held(self, ids: set[str]) -> None:
        """The customers of the batch's stored records, with the match profiles of their records."""
        self._profiled(await self.uow.repo.profiles_of(ids, with_records=self.matcher.needs_records))
        rows = await self.uow.repo.customer_rows(ids)
        for cid, row in rows.items():
            self.working.setdefault(cid, Working(cid, set(), None)).loaded(row)

    def _profiled(self, profiles: list[ProfileRow]) -> None:
        """Customers known by the match profiles of their source records (read once a record)."""
        for p in profiles:
            ref = (p.source_system, p.source_id)
            w = self.working.get(p.customer_id)
            if w is None:
                w = self.working[p.customer_id] = Working(p.customer_id, set(), None)
            w.refs.add(ref)
            if ref not in self.features:
                self.features[ref] = p.features()

    async def _load_members(self, ids: set[str]) -> None:
        """The stored customers the batch changes, with their source records in full (survivorship
        works on them)."""
        rows = await self.uow.repo.customer_rows(i for i in ids if self.working[i].row is None)
        for cid, row in rows.items():
            self.working[cid].loaded(row)
        members = await self.uow.repo.source_rows_of(ids) if ids else {}
        for cid, found in members.items():
            self.working[cid].members = {
                (s.source_system, s.source_id): Record.from_json(s.data) for s in found
            }

    # --- deciding -----------------------------------------------------------------------------------

    def _rejected(self, item: Incoming, error: DomainError) -> Upserted:
        r = item.record
        return Upserted(
            item.index, r.source_system, r.source_id, outcome=pb.MATCH_OUTCOME_REJECTED, error=error
        )

    def _refresh(self, item: Incoming) -> Upserted:
        rec = item.record
        held = self.held[rec.ref]
        w = self.working[held.customer_id]
        result = Upserted(
            item.index, rec.source_system, rec.source_id, held.customer_id, pb.MATCH_OUTCOME_UNCHANGED
        )
        result.flags = sorted(w.flags)
        digest = item.digest
        # The same content, or an older copy arriving late, leaves everything as it is.
        if digest == held.content_hash or aware(held.observed_at) > rec.observed_at:
            return result
        self._decided(
            w, rec, pb.HISTORY_ENTRY_KIND_SOURCE_RECORD_APPLIED, held.link_outcome, held.score, result
        )
        row = self._source_row(item, held.customer_id, held.link_outcome, held.score, held.linked_at)
        del row["match_model"], row["match_comparisons"]  # a refresh keeps what made the link
        self.updated_sources[rec.ref] = (row, held.version)
        held.content_hash, held.observed_at, held.version = digest, rec.observed_at, held.version + 1
        result.outcome = pb.MATCH_OUTCOME_REFRESHED
        return result

    def _decided(
        self, w: Working, rec: Record, kind: int, outcome: int, score: float, result: Upserted
    ) -> None:
        """The record belongs to ``w`` from now on; its golden record is recomputed after deciding."""
        w.refs.add(rec.ref)
        self.applications.append(Application(w, rec, kind, outcome, score, result))

    def _resolve(self, item: Incoming) -> Upserted:
        rec = item.record
        f = self.features[rec.ref]
        matcher = self.matcher
        scored = []
        for cid, _ in self._ranked(rec.ref):
            w = self.working.get(cid)
            if w is None or w.state != ACTIVE or not w.refs:
                continue
            scored.append(matcher.score(f, cid, [self.features[m] for m in w.refs]))
        decision = self._ambiguous(matcher.decide(f, scored), scored)
        outcome = OUTCOMES[decision.outcome]
        result = Upserted(item.index, rec.source_system, rec.source_id, outcome=outcome, score=decision.score)
        if decision.outcome in (Outcome.DETERMINISTIC, Outcome.PROBABILISTIC):
            w = self.working[decision.customer_id]
            self._decided(
                w, rec, pb.HISTORY_ENTRY_KIND_SOURCE_RECORD_APPLIED, outcome, decision.score, result
            )
            # A record that links to two customers shows they are one person (their first records
            # arrived with too little in common); they are merged once the batch is written.
            self.bridges += [
                (w.customer_id, s.customer_id, rec.ref)
                for s in scored
                if s.customer_id != w.customer_id and matcher.links(s)
            ]
        else:
            w = Working(new_id(), set(), None, created=True)
            self.working[w.customer_id] = w
            if decision.insufficient:
                w.flags.add(INSUFFICIENT)
            self._decided(w, rec, pb.HISTORY_ENTRY_KIND_CREATED, outcome, 0.0, result)
            if decision.outcome is Outcome.REVIEW:
                result.review_id = self._open_review(w, rec, decision)
        for other in decision.households:
            self._household(w.customer_id, other, rec)
        linked = decision.outcome in (Outcome.DETERMINISTIC, Outcome.PROBABILISTIC)
        self.new_sources[rec.ref] = self._source_row(
            item, w.customer_id, outcome, decision.score, self.now, decision.comparisons if linked else None
        )
        self.xref_rows.append(
            {
                "source_system": rec.source_system,
                "source_id": rec.source_id,
                "customer_id": w.customer_id,
                "linked_at": self.now,
                "unlinked_at": None,
                "action": f"match:{decision.outcome.value}",
            }
        )
        for k in self.keys_for[rec.ref]:
            self.key_index.setdefault(k, set()).add(w.customer_id)
        # A second copy of the same source id later in the batch is a refresh of this one.
        self.held[rec.ref] = SourceRow(
            rec.source_system,
            rec.source_id,
            w.customer_id,
            item.digest,
            {},
            rec.observed_at,
            self.now,
            outcome,
            decision.score,
            1,
        )
        result.customer_id = w.customer_id
        return result

    def _ambiguous(self, decision: Decision, scored: list[Scored]) -> Decision:
        """A record that links as well to two customers who are two people (a father and his son of
        the same name, the record without a birth date) is not linked to either: a steward decides."""
        if decision.outcome not in (Outcome.DETERMINISTIC, Outcome.PROBABILISTIC):
            return decision
        chosen = [self.features[r] for r in self.working[decision.customer_id].refs]
        for s in scored:
            if s.customer_id == decision.customer_id or not self.matcher.links(s):
                continue
            other = [self.features[r] for r in self.working[s.customer_id].refs]
            if not self.matcher.compatible(chosen, other):
                # Two people of one home: what only one of them holds (a birth date, a personal
                # e-mail, a mobile) says whose record it is; what the household shares does not.
                household = shared_contacts(chosen, other)
                if own_evidence(decision.comparisons, household) and not own_evidence(
                    s.comparisons, household
                ):
                    continue
                why = f"matches as well another customer who is someone else ({s.customer_id})"
                return Decision(
                    Outcome.REVIEW,
                    decision.customer_id,
                    decision.score,
                    decision.comparisons,
                    decision.insufficient,
                    households=decision.households,
                    uncertain=why,
                )
        return decision

    def _household(self, customer_id: str, other: Scored, rec: Record) -> None:
        """``customer_id`` and ``other`` are two people of one household (see ``Scored.household``)."""
        pair = (min(customer_id, other.customer_id), max(customer_id, other.customer_id))
        if pair[0] == pair[1] or pair in self.household_rows:
            return
        self.household_rows[pair] = {
            "customer_a": pair[0],
            "customer_b": pair[1],
            "shared": [[c.comparator, c.level] for c in other.comparisons if c.level and c.weight > 0],
            "reason": other.against,
            "source_system": rec.source_system,
            "source_id": rec.source_id,
            "match_model": self.matcher.model.version,
            "create_time": self.now,
        }

    def _open_review(self, w: Working, rec: Record, decision: Decision) -> str:
        existing_id, score, comparisons = decision.customer_id, decision.score, decision.comparisons
        review_id = new_id()
        m = self.matcher
        self.review_rows.append(
            {
                "review_id": review_id,
                "state": pb.MATCH_REVIEW_STATE_OPEN,
                "candidate_system": rec.source_system,
                "candidate_id": rec.source_id,
                "candidate_customer_id": w.customer_id,
                "existing_customer_id": existing_id,
                "score": score,
                "lower_threshold": m.lower,
                "upper_threshold": m.upper,
                "comparisons": comparisons_json(comparisons),
                "match_model": m.model.version,
                "uncertain": decision.uncertain,
                "create_time": self.now,
                "resolve_time": None,
                "resolved_by": None,
                "note": "",
                "version": 1,
            }
        )
        self.applications[-1].review_against = self.working[existing_id]
        self.uow.record(
            ev.MatchReviewOpened(
                review_id=review_id,
                candidate_customer_id=w.customer_id,
                existing_customer_id=existing_id,
                score=score,
                candidate_record=pb.SourceReference(
                    source_system=rec.source_system,
                    source_id=rec.source_id,
                    link_outcome=pb.MATCH_OUTCOME_REVIEW_OPENED,
                    score=score,
                ),
            ),
            review_id,
        )
        return review_id

    # --- applying -----------------------------------------------------------------------------------

    def _apply(self, a: Application) -> None:
        w, rec = a.w, a.rec
        before = w.golden.flat() if not w.created or w.members.keys() - {rec.ref} else {}
        w.members[rec.ref] = rec
        w.golden = golden_record(list(w.members.values()), self.deps.settings.survivorship)
        if w.golden.conflicting:
            w.flags.add(CONFLICTING)
        else:
            w.flags.discard(CONFLICTING)
        changes = diff(before, w.golden.flat())
        w.version += 1
        w.changed = True
        w.cause = rec.ref
        w.changed_fields |= {c[0] for c in changes}
        ref = {
            "source_system": rec.source_system,
            "source_id": rec.source_id,
            "link_outcome": a.outcome,
            "score": a.score,
            "observed_at": rec.observed_at.isoformat(),
        }
        self.history_rows.append(
            {
                "entry_id": new_id(),
                "customer_id": w.customer_id,
                "kind": a.kind,
                "occurred_at": self.now,
                "actor": self.actor,
                "source_record": ref,
                "steward_action_id": "",
                "reason": "",
                "changes": [list(c) for c in changes],
                "version": w.version,
                "related": [],
                "principal": auth.principal.get(),
            }
        )
        if a.review_against is not None:
            # The candidate waits for a steward, and so does the customer it may be.
            w.flags.add(PENDING)
            existing = a.review_against
            if PENDING not in existing.flags:
                existing.flags.add(PENDING)
                if not existing.changed:
                    existing.version += 1
                existing.changed = True
        a.result.flags = sorted(w.flags)

    def _source_row(
        self,
        item: Incoming,
        cid: str,
        outcome: int,
        score: float,
        linked_at: datetime,
        comparisons: tuple[Comparison, ...] | None = None,
    ) -> dict[str, Any]:
        rec = item.record
        row: dict[str, Any] = {
            "source_system": rec.source_system,
            "source_id": rec.source_id,
            "customer_id": cid,
            "content_hash": item.digest,
            "data": item.data,
            "raw": item.raw,
            "observed_at": rec.observed_at,
            "linked_at": linked_at,
            "link_outcome": outcome,
            "score": score,
            "version": 1,
            "profile": item.profile_json,
        }
        # What made the link and under which model: a stored link explains itself.
        row["match_model"] = self.matcher.model.version if comparisons is not None else None
        row["match_comparisons"] = comparisons_json(comparisons) if comparisons is not None else None
        return row

    # --- writing ------------------------------------------------------------------------------------

    async def _write(self) -> None:
        """Each statement's rows are prepared while the statement before is running."""
        writes = Writes(self.uow.session)
        try:
            await self._send_all(writes)
            await writes.done()
        except BaseException:
            await writes.abandon()
            raise

    async def _send_all(self, writes: Writes) -> None:
        """In an order that gives each statement's wait the work of making the next ones ready: the
        source records go first (their rows were made while deciding), the customers' rows are made
        while they are written, and so on. No table here references another."""
        repo = self.uow.repo
        for ref in self.new_sources:
            if ref in self.updated_sources:  # created and refreshed within one batch: insert the latest
                self.new_sources[ref] = {**self.new_sources[ref], **self.updated_sources.pop(ref)[0]}
        await writes.insert(source_records, list(self.new_sources.values()))
        changed = [w for w in self.working.values() if w.changed]
        new_customers: list[dict[str, Any]] = []
        updates: list[tuple[dict[str, Any], int]] = []
        for w in changed:
            cols = {
                "state": w.state,
                "version": w.version,
                "golden": w.golden.to_json(),
                "flags": sorted(w.flags),
                "update_time": self.now,
                **customer_columns(w.golden),
            }
            if w.created:
                new_customers.append(
                    {"customer_id": w.customer_id, "merged_into_id": None, "create_time": self.now, **cols}
                )
            else:
                assert w.row is not None
                updates.append(({"customer_id": w.customer_id, **cols}, w.row.version))
        await writes.send(repo.update_customers(updates))
        await writes.insert(customers, new_customers)
        for row, version in self.updated_sources.values():
            await writes.send(repo.update_source({**row, "version": version + 1}, version))
        changed_refs = list(self.new_sources) + list(self.updated_sources)
        owner = {ref: row["customer_id"] for ref, row in self.new_sources.items()}
        owner |= {ref: self.held[ref].customer_id for ref in self.updated_sources}
        key_rows = [
            {"key": k[:240], "source_system": ref[0], "source_id": ref[1], "customer_id": owner[ref]}
            for ref in changed_refs
            for k in sorted(self.keys_for[ref])
        ]
        if self.updated_sources:
            await writes.send(repo.delete_keys(list(self.updated_sources)))
        await writes.insert(blocking_keys_table, key_rows)
        for w in changed:  # while the largest insert runs
            self._emit(w)
        await writes.insert(history, self.history_rows)
        await self.uow.flush_events()  # their outbox rows are made while history is written
        await writes.insert(match_reviews, self.review_rows)
        await writes.insert(xref_history, self.xref_rows)
        if self.household_rows:
            await writes.done()
            known = await repo.household_pairs({cid for pair in self.household_rows for cid in pair})
            rows = [row for pair, row in self.household_rows.items() if pair not in known]
            await writes.insert(household_links, rows)
            self.new_households = rows
        if self.lifted_tombstones:
            await writes.send(repo.delete_tombstones(self.lifted_tombstones))

    async def _merge_bridged(self) -> dict[str, str]:
        """Merges the customers that a record linked together; returns merged id -> surviving id.

        Customers merge only when none of their records contradicts another's birth date or
        identifier, some names agree, and no steward has said one's records are not the other. The
        customer known longest survives (on a tie, the one the record linked to), so the ids other systems
        hold stay valid as far as they can.
        """
        involved = {cid for a, b, _ in self.bridges for cid in (a, b)}
        rows = await self.uow.repo.customer_rows(involved)
        refs = {cid: set(self.working[cid].refs) for cid in involved}
        refused = await self.uow.repo.no_match_pairs([r for cid in involved for r in refs[cid]])
        parent: dict[str, str] = {}

        def root(cid: str) -> str:
            while parent.get(cid, cid) != cid:
                cid = parent[cid]
            return cid

        because: dict[str, tuple[str, str]] = {}
        matcher = self.matcher
        for linked, other, ref in self.bridges:
            x, y = root(linked), root(other)
            if x == y or rows[x].state != ACTIVE or rows[y].state != ACTIVE:
                continue
            said_no = any((*r, c) in refused for rs, c in ((refs[x], y), (refs[y], x)) for r in rs)
            if said_no or not matcher.compatible(
                [self.features[r] for r in refs[x]], [self.features[r] for r in refs[y]]
            ):
                continue
            survivor, merged = (y, x) if rows[y].create_time < rows[x].create_time else (x, y)
            parent[merged] = survivor
            refs[survivor] |= refs[merged]
            because[merged] = ref
        groups: dict[str, list[str]] = {}
        for merged in parent:
            groups.setdefault(root(merged), []).append(merged)
        for survivor, merged_ids in groups.items():
            records = ", ".join(dict.fromkeys(f"{because[m][0]}/{because[m][1]}" for m in merged_ids))
            await merge_into(
                self.uow,
                rows[survivor],
                [rows[m] for m in merged_ids],
                f"source record {records} matches each of these customers",
                None,
                self.now,
                source=because[merged_ids[0]],
            )
        return {m: root(m) for m in parent}

    def _emit(self, w: Working) -> None:
        row = CustomerRow(w.customer_id, w.state, None, w.version, "{}", sorted(w.flags), self.now, self.now)
        msg = convert.customer(row, golden=w.golden)
        # Which systems hold the customer: connectors write golden changes back to them.
        msg.sources.extend(pb.SourceReference(source_system=s, source_id=i) for s, i in sorted(w.refs))
        cause = pb.SourceReference(source_system=w.cause[0], source_id=w.cause[1]) if w.cause else None
        if w.created:
            self.uow.record(ev.CustomerCreated(customer=msg, source_record=cause), w.customer_id)
        else:
            self.uow.record(
                ev.CustomerUpdated(
                    customer=msg, changed_fields=sorted(w.changed_fields), source_record=cause
                ),
                w.customer_id,
            )


async def upsert(
    uow: UnitOfWork, items: list[Incoming], actor: common_pb2.Actor | None = None
) -> list[Upserted]:
    return await Batch(uow, items, actor).run()
