"""gRPC servicer of the customer master: request -> use case -> response, no rules of its own."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any, TypeVar, cast

from isthmus.customers import findings, merging, privacy, queries, queries360, reviews
from isthmus.customers.deps import Deps
from isthmus.customers.incoming import Incoming, Upserted
from isthmus.customers.ingest import upsert
from isthmus.customers.metrics import PhaseClock, count_outcomes
from isthmus.customers.normalise import normalise
from isthmus.kernel.errors import Conflict, InvalidArgument
from isthmus.kernel.paging import page_size
from isthmus.platform import collector
from isthmus.platform.boundary import MAX_ID
from isthmus.platform.interceptors import item_status
from isthmus_client.api.customers.v1 import customers_pb2 as api
from isthmus_client.api.customers.v1 import customers_pb2_grpc
from isthmus_client.api.customers.v1 import records_pb2 as pb

MAX_BATCH = 1000
MAX_BATCH_GET = 500  # ids of one BatchGetCustomers, as many as a page of SearchCustomers holds
# Records a stream normalises ahead between the current batch's turns: about one statement's round
# trip of work, so the work ahead fills each of the batch's waits, its writes' as well (at 32 it was
# done within the first few, and the writes' waits were idle; docs/benchmarks.md, Long backfill).
PACE = 4

_Answer = TypeVar("_Answer", api.BatchUpsertSourceRecordsResponse, api.StreamSourceRecordsResponse)


@dataclass
class _Prepared:
    request: api.BatchUpsertSourceRecordsRequest | api.StreamSourceRecordsRequest
    items: list[Incoming] = field(default_factory=list)
    results: dict[int, Upserted] = field(default_factory=dict)


def _check_customer_ids(ids: Sequence[str]) -> None:
    """BatchGetCustomers' ids: at least one, at most ``MAX_BATCH_GET``, each as GetCustomer takes its
    customer_id (not blank, an id's length; the chassis refuses control characters)."""
    if not ids:
        raise InvalidArgument("customer_ids", "is required")
    if len(ids) > MAX_BATCH_GET:
        raise InvalidArgument("customer_ids", f"at most {MAX_BATCH_GET} ids per request, got {len(ids)}")
    bad = [
        (f"customer_ids[{i}]", "is required" if not cid.strip() else f"is longer than {MAX_ID} characters")
        for i, cid in enumerate(ids)
        if not cid.strip() or len(cid) > MAX_ID
    ]
    if bad:
        raise InvalidArgument.many(bad)


def _prefixed(exc: InvalidArgument, prefix: str) -> InvalidArgument:
    prefixed = InvalidArgument.many([(f"{prefix}.{f}", m) for f, m in exc.violations])
    return prefixed.because(exc.reason, **exc.metadata) if exc.reason else prefixed


def _result(u: Upserted) -> api.UpsertResult:
    return api.UpsertResult(
        index=u.index,
        source_system=u.source_system,
        source_id=u.source_id,
        customer_id=u.customer_id,
        outcome=cast(pb.MatchOutcome, u.outcome),
        score=u.score,
        match_review_id=u.review_id,
        quality_flags=u.flags,  # type: ignore[arg-type]
        error=item_status(u.error) if u.error else None,
        findings=u.findings,
    )


def _found(items: list[Incoming], results: dict[int, Upserted]) -> None:
    """The findings of accepted records on their results; counted once, when first stored."""
    stored = []
    for item in items:
        if not item.record.findings:
            continue
        u = results[item.index]
        if u.outcome == pb.MATCH_OUTCOME_REJECTED:
            continue
        u.findings = [findings.message(f) for f in item.record.findings]
        if u.outcome != pb.MATCH_OUTCOME_UNCHANGED:
            stored.append(item.record)
    findings.count(stored)


class CustomerMaster(customers_pb2_grpc.CustomerMasterServiceServicer):
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def _normalise(self, record: pb.SourceRecord, index: int) -> Incoming:
        s = self.deps.settings
        rec = normalise(
            record, known_systems=s.known_systems, now=self.deps.clock(), default_region=s.default_region
        )
        return Incoming(index, rec, record.SerializeToString(deterministic=True)).prepare()

    async def UpsertSourceRecord(
        self, request: api.UpsertSourceRecordRequest, context: Any
    ) -> api.UpsertSourceRecordResponse:
        if not request.HasField("record"):
            raise InvalidArgument("record", "is required")
        try:
            item = self._normalise(request.record, 0)
        except InvalidArgument as exc:
            raise _prefixed(exc, "record") from None
        clock = PhaseClock()
        async with self.deps.transaction() as uow:
            (result,) = await upsert(uow, [item], clock=clock)
        clock.mark("commit")
        count_outcomes([result.outcome])
        if result.error is not None:
            raise result.error
        _found([item], {0: result})
        return api.UpsertSourceRecordResponse(result=_result(result))

    async def _batch(
        self, request: api.BatchUpsertSourceRecordsRequest
    ) -> api.BatchUpsertSourceRecordsResponse:
        prepared = await self._prepare(request)
        clock = PhaseClock()
        answer = await self._apply(prepared, api.BatchUpsertSourceRecordsResponse, clock)
        clock.mark("answer")
        return answer

    async def _prepare(
        self,
        request: api.BatchUpsertSourceRecordsRequest | api.StreamSourceRecordsRequest,
        *,
        pace: int = 0,
    ) -> _Prepared:
        """The request's records normalised; with ``pace``, other tasks run between each ``pace``
        records (a stream normalises its next batch while the current one waits for the database)."""
        if len(request.records) > MAX_BATCH:
            raise InvalidArgument(
                "records", f"at most {MAX_BATCH} records per request, got {len(request.records)}"
            )
        prepared = _Prepared(request)
        with collector.bulk():
            for i, record in enumerate(request.records):
                if pace and i % pace == pace - 1:
                    await asyncio.sleep(0)
                try:
                    prepared.items.append(self._normalise(record, i))
                except InvalidArgument as exc:
                    prepared.results[i] = Upserted(
                        i,
                        record.source_system,
                        record.source_id,
                        outcome=pb.MATCH_OUTCOME_REJECTED,
                        error=exc,  # paths relative to the record, as the docs promise
                    )
        return prepared

    async def _apply(self, prepared: _Prepared, answer: type[_Answer], clock: PhaseClock) -> _Answer:
        results = prepared.results
        request = prepared.request
        with collector.bulk():
            for u in await self._upsert_items(prepared.items, clock):
                results[u.index] = u
            _found(prepared.items, results)
            ordered = [_result(results[i]) for i in range(len(request.records))]
            # The batch's records go while young collections still wait: the first one after it
            # walks only what is still alive (a stream's next batch), not this batch as well.
            prepared.items.clear()
            results.clear()
        rejected = sum(1 for r in ordered if r.outcome == pb.MATCH_OUTCOME_REJECTED)
        count_outcomes(r.outcome for r in ordered)
        return answer(
            results=ordered,
            batch_id=request.batch_id,
            accepted_count=len(ordered) - rejected,
            rejected_count=rejected,
        )

    async def _upsert_items(self, items: list[Incoming], clock: PhaseClock) -> list[Upserted]:
        """The batch in one transaction; when it loses a race, each record alone, so only losers fail."""
        if not items:
            return []
        try:
            async with self.deps.transaction() as uow:
                results = await upsert(uow, items, clock=clock)
            clock.mark("commit")
            return results
        except Conflict:
            pass
        out = []
        for item in items:
            try:
                async with self.deps.transaction() as uow:
                    out.extend(await upsert(uow, [item], clock=clock))
                clock.mark("commit")
            except Conflict as exc:
                r = item.record
                out.append(
                    Upserted(
                        item.index, r.source_system, r.source_id, outcome=pb.MATCH_OUTCOME_REJECTED, error=exc
                    )
                )
        return out

    async def BatchUpsertSourceRecords(
        self, request: api.BatchUpsertSourceRecordsRequest, context: Any
    ) -> api.BatchUpsertSourceRecordsResponse:
        return await self._batch(request)

    async def StreamSourceRecords(
        self, request_iterator: AsyncIterator[api.StreamSourceRecordsRequest], context: Any
    ) -> AsyncIterator[api.StreamSourceRecordsResponse]:
        # The next batch is read and normalised while the current one waits for the database;
        # answers keep request order because batches are applied one after the other.
        async def following() -> _Prepared | None:
            request = await anext(request_iterator, None)
            return None if request is None else await self._prepare(request, pace=PACE)

        ahead = asyncio.create_task(following())
        clock = PhaseClock()
        try:
            while (prepared := await ahead) is not None:
                clock.mark("wait")
                ahead = asyncio.create_task(following())
                yield await self._apply(prepared, api.StreamSourceRecordsResponse, clock)
                clock.mark("answer")  # the answers made, and sent
        finally:
            if ahead.done() and not ahead.cancelled():
                ahead.exception()  # retrieved: an error already on its way out is the one that counts
            ahead.cancel()

    async def ListDataQualityFindings(
        self, request: api.ListDataQualityFindingsRequest, context: Any
    ) -> api.ListDataQualityFindingsResponse:
        async with self.deps.reading() as uow:
            found, token = await findings.listed(uow, request)
        return api.ListDataQualityFindingsResponse(findings=found, next_page_token=token)

    async def SummarizeDataQualityFindings(
        self, request: api.SummarizeDataQualityFindingsRequest, context: Any
    ) -> api.SummarizeDataQualityFindingsResponse:
        async with self.deps.reading() as uow:
            counts = await findings.trend(uow, request, self.deps.clock().astimezone(UTC).date())
        return api.SummarizeDataQualityFindingsResponse(counts=counts)

    async def GetCustomer(self, request: api.GetCustomerRequest, context: Any) -> api.GetCustomerResponse:
        async with self.deps.reading() as uow:
            customer = await queries.load_customer(
                uow, request.customer_id, lineage=request.view != pb.CUSTOMER_VIEW_BASIC
            )
        return api.GetCustomerResponse(customer=customer)

    async def BatchGetCustomers(
        self, request: api.BatchGetCustomersRequest, context: Any
    ) -> api.BatchGetCustomersResponse:
        _check_customer_ids(request.customer_ids)
        async with self.deps.reading() as uow:
            found = await queries.get_customers(
                uow, request.customer_ids, lineage=request.view != pb.CUSTOMER_VIEW_BASIC
            )
        return api.BatchGetCustomersResponse(customers=found)

    async def SearchCustomers(
        self, request: api.SearchCustomersRequest, context: Any
    ) -> api.SearchCustomersResponse:
        async with self.deps.reading() as uow:
            ids, token = await queries.search(uow, request, self.deps.settings.default_region)
            full = request.view == pb.CUSTOMER_VIEW_FULL
            found = await queries.load_customers(uow, ids, lineage=full)
        return api.SearchCustomersResponse(customers=found, next_page_token=token)

    async def GetCustomerBySourceId(
        self, request: api.GetCustomerBySourceIdRequest, context: Any
    ) -> api.GetCustomerBySourceIdResponse:
        async with self.deps.reading() as uow:
            cid, ref, erased = await queries.lookup(uow, request.source_system, request.source_id)
            customer = await queries.load_customer(uow, cid, lineage=False)
        return api.GetCustomerBySourceIdResponse(
            customer_id=cid, reference=ref, customer=customer, erased=erased
        )

    async def ListHistoryEntries(
        self, request: api.ListHistoryEntriesRequest, context: Any
    ) -> api.ListHistoryEntriesResponse:
        size = page_size(request.page_size)
        async with self.deps.reading() as uow:
            entries, token = await queries.customer_history(
                uow, request.customer_id, size, request.page_token
            )
        return api.ListHistoryEntriesResponse(history_entries=entries, next_page_token=token)

    async def ListMatchReviews(
        self, request: api.ListMatchReviewsRequest, context: Any
    ) -> api.ListMatchReviewsResponse:
        async with self.deps.reading() as uow:
            reviews, token = await queries.list_reviews(uow, request)
        return api.ListMatchReviewsResponse(match_reviews=reviews, next_page_token=token)

    async def MergeCustomers(
        self, request: api.MergeCustomersRequest, context: Any
    ) -> api.MergeCustomersResponse:
        return await merging.merge_customers(self.deps, request)

    async def UnmergeCustomer(
        self, request: api.UnmergeCustomerRequest, context: Any
    ) -> api.UnmergeCustomerResponse:
        return await merging.unmerge_customer(self.deps, request)

    async def ResolveMatchReview(
        self, request: api.ResolveMatchReviewRequest, context: Any
    ) -> api.ResolveMatchReviewResponse:
        return await reviews.resolve_review(self.deps, request)

    async def SetConsent(self, request: api.SetConsentRequest, context: Any) -> api.SetConsentResponse:
        return await privacy.set_consent(self.deps, request)

    async def ExportCustomer(
        self, request: api.ExportCustomerRequest, context: Any
    ) -> api.ExportCustomerResponse:
        return await privacy.export_customer(self.deps, request)

    async def EraseCustomer(
        self, request: api.EraseCustomerRequest, context: Any
    ) -> api.EraseCustomerResponse:
        return await privacy.erase_customer(self.deps, request)

    async def GetCustomer360(
        self, request: api.GetCustomer360Request, context: Any
    ) -> api.GetCustomer360Response:
        async with self.deps.reading() as uow:
            view = await queries360.customer360(uow, request.customer_id, request.timeline_page_size)
        return api.GetCustomer360Response(customer360=view)

    async def ListTimelineEntries(
        self, request: api.ListTimelineEntriesRequest, context: Any
    ) -> api.ListTimelineEntriesResponse:
        size = page_size(request.page_size)
        async with self.deps.reading() as uow:
            await queries.load_customer(uow, request.customer_id, lineage=False)
            ids = await queries360.family(uow, request.customer_id)
            entries, token = await queries360.timeline(
                uow, ids, list(request.kinds), size, request.page_token
            )
        return api.ListTimelineEntriesResponse(timeline_entries=entries, next_page_token=token)
