"""Match outcomes are counted for Prometheus, after the transaction that decided them; so are the
matching work and the time ingest spends in each phase."""

from __future__ import annotations

import time

import pytest
from prometheus_client import REGISTRY

from isthmus_client.api.customers.v1 import customers_pb2 as api
from isthmus_client.api.customers.v1 import records_pb2 as records

from .helpers import person, upsert

pytestmark = pytest.mark.postgres


def counted(outcome: str) -> float:
    return REGISTRY.get_sample_value("isthmus_customers_match_outcomes_total", {"outcome": outcome}) or 0.0


async def test_each_ingested_record_counts_its_outcome(master, uid):
    before = {o: counted(o) for o in ("new_customer", "linked_deterministic", "unchanged", "rejected")}
    first = person("erp", f"MX1-{uid}", "Mara", f"{uid}Metric", email=f"m{uid}@example.com")
    same_email = person("webshop", f"MX2-{uid}", "Mara", f"{uid}Metric", email=f"m{uid}@example.com")
    bad = person("erp", "", "Mara", f"{uid}Metric", email="not an email")  # no source id: refused
    await master.BatchUpsertSourceRecords(api.BatchUpsertSourceRecordsRequest(records=[first]))
    await master.BatchUpsertSourceRecords(
        api.BatchUpsertSourceRecordsRequest(records=[same_email, bad, first])
    )
    assert {o: counted(o) - n for o, n in before.items()} == {
        "new_customer": 1,
        "linked_deterministic": 1,
        "unchanged": 1,
        "rejected": 1,
    }


def matching_work() -> tuple[float, float, float]:
    def value(name: str, labels: dict[str, str] | None = None) -> float:
        return REGISTRY.get_sample_value(name, labels or {}) or 0.0

    return (
        value("isthmus_customers_match_candidates_total", {"fate": "scored"}),
        value("isthmus_customers_match_candidates_total", {"fate": "set_aside"}),
        value("isthmus_customers_match_pairs_scored_total"),
    )


async def test_matching_work_is_counted_by_candidate_and_by_pair(master, uid):
    """A customer of two records that a new record shares an e-mail with is scored (two pairs); a
    namesake born on another day who shares nothing else is set aside unscored."""
    family = f"{uid}Work"
    # The records carry the helper's default birth date, this test's own (``own_birth_date``): no
    # other test's customer shares the family-name-and-date key with them.
    email = f"i{uid}@example.com"
    await upsert(master, person("erp", f"MW1-{uid}", "Ilse", family, email=email))
    await upsert(master, person("webshop", f"MW2-{uid}", "Ilse", family, email=email))
    await upsert(master, person("erp", f"MW3-{uid}", "Ilse", family, dob=(1951, 2, 3)))
    before = matching_work()
    same = person("callcenter", f"MW4-{uid}", "Ilse", family, email=email)
    result = await upsert(master, same)
    assert result.outcome == records.MATCH_OUTCOME_LINKED_DETERMINISTIC
    scored, set_aside, pairs = (after - b for after, b in zip(matching_work(), before, strict=True))
    assert (scored, set_aside, pairs) == (1, 1, 2)


async def test_a_batch_counts_each_of_its_records_however_many_share_an_outcome(master, uid):
    before = counted("new_customer")
    three = [
        person("erp", f"MN{i}-{uid}", given, f"{uid}Many{i}", email=f"n{i}{uid}@example.com")
        for i, given in enumerate(("Olga", "Piet", "Rosa"))
    ]
    await master.BatchUpsertSourceRecords(api.BatchUpsertSourceRecordsRequest(records=three))
    assert counted("new_customer") - before == 3


def phase_seconds() -> dict[tuple[str, str], float]:
    return {
        (phase, clock): REGISTRY.get_sample_value(
            "isthmus_customers_ingest_seconds_total", {"phase": phase, "clock": clock}
        )
        or 0.0
        for phase in ("read", "decide", "golden", "write", "merge", "households", "commit", "answer", "wait")
        for clock in ("wall", "cpu")
    }


async def test_a_stream_charges_each_phase_of_its_batches_once(master, uid):
    """Every phase of a stream's batches gets time, and the phases follow one another: together they
    take no more than the stream did (a phase charged twice, or overlapping another, would)."""
    batches = [
        [person("erp", f"MP{n}{i}-{uid}", "Wim", f"{uid}Phase{n}{i}", email=f"p{n}{i}{uid}@example.com")]
        for n in range(3)
        for i in range(2)
    ]

    async def requests():
        for n, batch in enumerate(batches):
            yield api.StreamSourceRecordsRequest(records=batch, batch_id=f"p{n}")

    before = phase_seconds()
    started = time.perf_counter()
    answers = [a async for a in master.StreamSourceRecords(requests())]
    took = time.perf_counter() - started
    spent = {k: v - before[k] for k, v in phase_seconds().items()}
    assert len(answers) == len(batches)
    assert all(spent[(phase, "wall")] > 0 for phase, _ in spent), spent
    assert sum(v for (_, clock), v in spent.items() if clock == "wall") <= took


async def test_a_unary_batch_has_no_wait_for_a_next_one(master, uid):
    before = phase_seconds()
    one = person("erp", f"MQ-{uid}", "Wim", f"{uid}Unary", email=f"q{uid}@example.com")
    await master.BatchUpsertSourceRecords(api.BatchUpsertSourceRecordsRequest(records=[one]))
    spent = {k: v - before[k] for k, v in phase_seconds().items()}
    assert spent[("wait", "wall")] == 0
    assert all(spent[(phase, "wall")] > 0 for phase in ("read", "decide", "write", "commit", "answer"))
