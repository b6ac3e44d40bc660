"""How an ingest batch applies its decisions and writes them: each customer's golden record
recomputed in decision order with its history, then everything written with multi-row statements,
each prepared while the one before runs, and the customers' events recorded.
"""

from __future__ import annotations

from typing import Any

from isthmus.customers import convert, findings
from isthmus.customers.batch_io import Writes
from isthmus.customers.incoming import CONFLICTING, PENDING, Application, Working
from isthmus.customers.ingest_state import BatchState
from isthmus.customers.steward import weigh_reviews
from isthmus.customers.store import CustomerRow, customer_columns
from isthmus.customers.survivorship import diff, golden_record
from isthmus.customers.tables import blocking_keys as blocking_keys_table
from isthmus.customers.tables import (
    customers,
    data_quality_findings,
    history,
    household_links,
    match_reviews,
    source_records,
    xref_history,
)
from isthmus.kernel.ids import new_uuid
from isthmus.platform import auth
from isthmus_client.api.customers.v1 import records_pb2 as pb
from isthmus_client.api.events.v1 import customers_pb2 as ev


class Writing(BatchState):
    """Applying the batch's decisions (ingest_decide.py) to golden records, and writing it all."""

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
                "entry_id": new_uuid(),
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
        if self.updated_sources:
            refreshed = [
                ({**row, "version": version + 1}, version) for row, version in self.updated_sources.values()
            ]
            await writes.send(repo.update_sources(refreshed))
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
            await writes.send(findings.forget(repo, list(self.updated_sources)))
        latest = {i.record.ref: i.record for i in self.items}
        await writes.insert(data_quality_findings, findings.rows((latest[r] for r in changed_refs), self.now))
        await writes.insert(blocking_keys_table, key_rows)
        for w in changed:  # while the largest insert runs
            self._emit(w)
        await writes.insert(history, self.history_rows)
        await self.uow.flush_events()  # their outbox rows are made while history is written
        await writes.insert(match_reviews, self.review_rows)
        if self.review_rows:
            await writes.send(weigh_reviews(self.uow.session, [r["review_id"] for r in self.review_rows]))
        await writes.insert(xref_history, self.xref_rows)
        if self.household_rows:
            await writes.done()
            known = await repo.household_pairs({cid for pair in self.household_rows for cid in pair})
            rows = [row for pair, row in self.household_rows.items() if pair not in known]
            await writes.insert(household_links, rows)
            self.new_households = rows
        if self.lifted_tombstones:
            await writes.send(repo.delete_tombstones(self.lifted_tombstones))

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
