"""The sync engine: checkpoint after delivery, retries with back-off, dead letters with reasons, metrics."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from isthmus.connectors import (
    BadRecord,
    Checkpoint,
    CheckResult,
    Connector,
    Stream,
    StreamState,
    TransientError,
)
from isthmus.connectors.engine import RetryPolicy, Syncer
from isthmus.connectors.hub import Delivery, HubRefused
from isthmus.connectors.metrics import ConnectorMetrics
from isthmus.connectors.state import MemoryStateStore
from isthmus.platform.progress import Progress


def customer(n: int, stamp: str = "2024-05-01T10:00:00+00:00") -> dict[str, Any]:
    return {"source_id": str(n), "name": {"full_name": f"P {n}"}, "updated_at": stamp}


class ListConnector(Connector):
    name = "list"
    streams = (Stream("customers", "source_id", "updated_at"),)
    items: list[Any] = []
    failures: list[Exception] = []

    def check(self) -> CheckResult:
        return CheckResult.success()

    def read(self, stream: str, state: StreamState) -> Iterator[Any]:
        start = int(state.tie_breaker or 0)
        for item in self.items:
            if isinstance(item, dict) and int(item["source_id"]) <= start:
                continue
            if self.failures:
                raise self.failures.pop(0)
            yield item


class Sink:
    def __init__(self, reject: set[str] = frozenset(), errors: Sequence[Exception] = ()) -> None:
        self.reject = reject
        self.errors = list(errors)
        self.got: list[str] = []

    async def deliver(
        self, instance: str, system: str, stream: str, records: Sequence[dict]
    ) -> list[Delivery]:
        if self.errors:
            raise self.errors.pop(0)
        self.got.extend(r["source_id"] for r in records)
        return [
            Delivery(False, reason="INVALID_ARGUMENT: record.emails[0]: not an address")
            if r["source_id"] in self.reject
            else Delivery(True, f"g{r['source_id']}", outcome="NEW_CUSTOMER")
            for r in records
        ]


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def make(items: list[Any], **kw: Any) -> Connector:
    cls = type("C", (ListConnector,), {"items": items, "failures": kw.pop("failures", [])})
    return cls({})


def sync(connector: Connector, store: MemoryStateStore, sink: Any, **kw: Any) -> Any:
    syncer = Syncer(store, sink, batch_size=kw.pop("batch_size", 2), sleep=kw.pop("sleep", Sleeps()), **kw)
    return asyncio.run(syncer.sync("i", connector, "customers"))


def test_state_is_cursor_and_tie_breaker_of_the_last_delivered_record() -> None:
    store = MemoryStateStore()
    result = sync(make([customer(1), customer(2), customer(3)]), store, Sink())
    assert result.accepted == 3
    assert asyncio.run(store.get_state("i", "customers")) == StreamState("2024-05-01T10:00:00+00:00", "3")


def test_state_is_not_advanced_when_delivery_fails() -> None:
    store = MemoryStateStore()
    with pytest.raises(HubRefused):
        sync(make([customer(1), customer(2), customer(3)]), store, Sink(errors=[HubRefused("UNIMPLEMENTED")]))
    assert asyncio.run(store.get_state("i", "customers")).is_empty
    assert store.history[-1].status == "failed"


def test_transient_hub_error_is_retried_with_back_off_and_nothing_is_lost() -> None:
    store, sleeps = MemoryStateStore(), Sleeps()
    sink = Sink(errors=[TransientError("UNAVAILABLE"), TransientError("UNAVAILABLE", retry_after=3)])
    result = sync(make([customer(n) for n in range(1, 6)]), store, sink, sleep=sleeps)
    assert set(sink.got) == {"1", "2", "3", "4", "5"}
    assert result.retries == 2
    assert sleeps.delays[1] == 3
    assert 0 <= sleeps.delays[0] <= RetryPolicy().base_seconds


def test_transient_source_error_resumes_from_the_last_checkpoint() -> None:
    store, sink = MemoryStateStore(), Sink()
    connector = make([customer(n) for n in range(1, 6)], failures=[])
    type(connector).failures = []
    items = type(connector).items

    class Flaky(type(connector)):  # type: ignore[misc]
        calls = 0

        def read(self, stream: str, state: StreamState) -> Iterator[Any]:
            Flaky.calls += 1
            for i, item in enumerate(super().read(stream, state)):
                if Flaky.calls == 1 and i == 3:
                    raise TransientError("connection reset")
                yield item

    Flaky.items = items
    sync(Flaky({}), store, sink)
    assert sink.got == ["1", "2", "3", "4", "5"]  # batch of 2 checkpointed, 3 re-read, no duplicates before


def test_retries_give_up_after_the_policy_s_attempts() -> None:
    sink = Sink(errors=[TransientError("down")] * 5)
    with pytest.raises(TransientError):
        sync(make([customer(1)]), MemoryStateStore(), sink, retry=RetryPolicy(attempts=3))


def test_bad_records_are_dead_lettered_with_reasons_and_the_sync_goes_on() -> None:
    store = MemoryStateStore()
    items = [
        customer(1),
        {"source_id": "2", "emails": [{"address": ""}], "updated_at": "2024-05-01T10:00:00+00:00"},
        BadRecord("line 3: 7 fields, expected 9", "raw line", key="line 3"),
        customer(4),
        customer(5),
    ]
    result = sync(make(items), store, Sink(reject={"4"}))
    reasons = {lt.record_key: lt.reason for lt in store.letters["i"]}
    assert reasons["2"].startswith("not a canonical record: emails[0].address")
    assert reasons["line 3"] == "line 3: 7 fields, expected 9"
    assert reasons["4"].startswith("hub: INVALID_ARGUMENT")
    assert (result.read, result.accepted, result.rejected) == (5, 2, 3)
    assert asyncio.run(store.get_state("i", "customers")).tie_breaker == "5"


def test_explicit_checkpoint_carries_connector_extra_state() -> None:
    store = MemoryStateStore()
    items = [customer(1), Checkpoint(StreamState("c", "1", {"files": ["a.csv"]})), customer(2)]
    sync(make(items), store, Sink(), batch_size=10)
    state = asyncio.run(store.get_state("i", "customers"))
    assert state == StreamState("2024-05-01T10:00:00+00:00", "2", {"files": ["a.csv"]})


def test_metrics_count_read_accepted_rejected_and_last_success() -> None:
    registry = CollectorRegistry()
    metrics = ConnectorMetrics(registry)
    sync(
        make([customer(1), customer(2), customer(3)]), MemoryStateStore(), Sink(reject={"2"}), metrics=metrics
    )
    labels = {"connector_instance": "i", "stream": "customers"}
    assert registry.get_sample_value("isthmus_connector_records_read_total", labels) == 3
    assert registry.get_sample_value("isthmus_connector_records_accepted_total", labels) == 2
    assert registry.get_sample_value("isthmus_connector_records_rejected_total", labels) == 1
    assert registry.get_sample_value("isthmus_connector_last_success_timestamp_seconds", labels) > 0
    assert registry.get_sample_value("isthmus_connector_lag_seconds", labels) > 0


def test_progress_counts_each_batch_and_takes_its_total_from_the_connectors_estimate() -> None:
    connector = make([customer(1), customer(2), customer(3)])
    connector.estimate = lambda stream, state: 3  # type: ignore[method-assign]
    progress = Progress("sync i/customers", stream=io.StringIO())
    syncer = Syncer(MemoryStateStore(), Sink(reject={"2"}), batch_size=2, sleep=Sleeps())
    asyncio.run(syncer.sync("i", connector, "customers", progress))
    assert (progress.done, progress.total) == (3, 3)
    assert dict(progress.counts) == {"accepted": 2, "rejected": 1}


def test_a_failing_estimate_leaves_the_total_unknown_and_the_sync_going() -> None:
    connector = make([customer(1)])

    def broken(stream: str, state: StreamState) -> int:
        raise RuntimeError("count(*) timed out")

    connector.estimate = broken  # type: ignore[method-assign]
    progress = Progress("sync i/customers", stream=io.StringIO())
    result = asyncio.run(
        Syncer(MemoryStateStore(), Sink(), sleep=Sleeps()).sync("i", connector, "customers", progress)
    )
    assert result.accepted == 1 and progress.total is None and progress.done == 1
