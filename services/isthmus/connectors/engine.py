"""One sync of one stream: read, transform, validate, deliver, dead-letter, checkpoint; retry on blips.

The order of work is what makes it safe. Records are delivered to the hub first; only when the hub
has answered for all of them is the state written (with the batch's dead letters, in one
transaction). A crash in between re-reads the batch on the next run, and the hub's idempotent writes
absorb the repeat. State is the (cursor, primary key) of the last record, so records sharing a cursor
value are neither skipped nor repeated by the connector's ``> (cursor, key)`` query.

Traced, a sync is a span and each batch delivered to the hub a span inside it: the hub's spans (and
those of the events its writes cause) continue from the batch's.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from isthmus.connectors import canonical
from isthmus.connectors.hub import Sink
from isthmus.connectors.metrics import ConnectorMetrics
from isthmus.connectors.plugins import PluginManager
from isthmus.connectors.sdk import (
    BadRecord,
    Checkpoint,
    Connector,
    InvalidRecord,
    Message,
    Record,
    RecordTransform,
    StreamState,
    TransientError,
)
from isthmus.connectors.state import DeadLetter, StateStore, SyncRun
from isthmus.platform import tracing
from isthmus.platform.progress import Progress

log = logging.getLogger("isthmus.connectors")


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    base_seconds: float = 0.5
    max_seconds: float = 30.0

    def delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.max_seconds)
        # Full jitter: replicas that failed together do not retry together.
        return random.uniform(0, min(self.max_seconds, self.base_seconds * 2 ** (attempt - 1)))


@dataclass
class SyncResult:
    instance: str
    stream: str
    read: int = 0
    accepted: int = 0
    rejected: int = 0
    retries: int = 0
    state: StreamState = field(default_factory=StreamState)
    outcomes: Counter[str] = field(default_factory=Counter)


def prepare(stream: str, item: object, transforms: Sequence[RecordTransform]) -> tuple[Record | None, str]:
    """A record as the hub gets it (the transforms applied, the canonical schema checked), or None and
    why it would be dead-lettered."""
    if not isinstance(item, dict):
        return None, f"connector yielded {type(item).__name__}, not a record (dict)"
    record: Record = item
    try:
        for transform in transforms:
            record = transform(record)
    except InvalidRecord as exc:
        return None, f"transform: {exc.reason}"
    problems = canonical.problems(stream, record)
    if problems:
        return None, "not a canonical record: " + "; ".join(problems[:5])
    return record, ""


def _take(it: Iterator[Message], n: int) -> list[Message]:
    out: list[Message] = []
    for item in it:
        out.append(item)
        if len(out) >= n:
            break
    return out


class Syncer:
    def __init__(
        self,
        store: StateStore,
        sink: Sink,
        plugins: PluginManager | None = None,
        metrics: ConnectorMetrics | None = None,
        *,
        batch_size: int = 500,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.sink = sink
        self.plugins = plugins
        self.metrics = metrics
        self.batch_size = batch_size
        self.retry = retry or RetryPolicy()
        self.sleep = sleep
        self.clock = clock

    async def sync(
        self, instance: str, connector: Connector, stream: str, progress: Progress | None = None
    ) -> SyncResult:
        """Sync one stream from its stored state; transient errors are retried from the last checkpoint.

        ``progress`` (optional) is advanced by every batch: records read, accepted and rejected.
        """
        if not tracing.enabled():
            return await self._sync(instance, connector, stream, progress)
        attributes = {"isthmus.connector.instance": instance, "isthmus.connector.stream": stream}
        with tracing.span(f"connector sync {instance}/{stream}", attributes=attributes) as span:
            result = await self._sync(instance, connector, stream, progress)
            span.set_attributes(
                {"isthmus.records.read": result.read, "isthmus.records.accepted": result.accepted,
                 "isthmus.records.rejected": result.rejected}
            )  # fmt: skip
            return result

    async def _sync(
        self, instance: str, connector: Connector, stream: str, progress: Progress | None
    ) -> SyncResult:
        result = SyncResult(instance, stream)
        started = self.clock()
        attempt = 0
        try:
            while True:
                try:
                    await self._run(instance, connector, stream, result, progress)
                    break
                except TransientError as exc:
                    attempt += 1
                    result.retries += 1
                    if self.metrics:
                        self.metrics.retries.labels(instance, stream).inc()
                    if attempt >= self.retry.attempts:
                        raise
                    delay = self.retry.delay(attempt, exc.retry_after)
                    log.warning(
                        "%s/%s: %s; retry %d in %.1fs", instance, stream, exc, attempt, delay,
                        extra={"instance": instance, "stream": stream},
                    )  # fmt: skip
                    await self.sleep(delay)
        except Exception as exc:
            await self.store.save_run(
                self._run_row(result, started, "failed", f"{type(exc).__name__}: {exc}")
            )
            raise
        await self.store.save_run(self._run_row(result, started, "succeeded", None))
        if self.metrics:
            self.metrics.last_success.labels(instance, stream).set(self.clock().timestamp())
        return result

    def _run_row(self, result: SyncResult, started: datetime, status: str, error: str | None) -> SyncRun:
        return SyncRun(
            result.instance, result.stream, started, self.clock(), status,
            result.read, result.accepted, result.rejected, error,
        )  # fmt: skip

    async def _run(
        self,
        instance: str,
        connector: Connector,
        stream_name: str,
        result: SyncResult,
        progress: Progress | None,
    ) -> None:
        stream = connector.stream(stream_name)
        state = await self.store.get_state(instance, stream_name)
        pushed_at: list[int] = []
        if connector.receives_pushes:
            pushed_at, pushed = await self.store.pending_pushes(instance, stream_name)
            state = replace(state, pushed=tuple(pushed))
        transforms: list[RecordTransform] = (
            self.plugins.transforms(connector.name, stream_name, connector.config) if self.plugins else []
        )
        pending: list[Record] = []
        letters: list[DeadLetter] = []
        new_state: StreamState | None = None
        if progress is not None and progress.total is None:
            progress.set_total(await self._estimate(connector, stream_name, state, progress.done))
        it = connector.read(stream_name, state)
        try:
            while True:
                batch = await asyncio.to_thread(_take, it, self.batch_size)
                if not batch:
                    break
                for item in batch:
                    if isinstance(item, Checkpoint):
                        new_state = item.state
                        continue
                    result.read += 1
                    if isinstance(item, BadRecord):
                        letters.append(DeadLetter(stream_name, item.key, item.raw, item.reason))
                        continue
                    record, reason = prepare(stream_name, item, transforms)
                    key = str(item.get(stream.primary_key, "")) if isinstance(item, dict) else ""
                    if record is None:
                        letters.append(DeadLetter(stream_name, key, item, reason))
                    else:
                        pending.append(record)
                    if (
                        stream.cursor_field
                        and isinstance(item, dict)
                        and item.get(stream.cursor_field) is not None
                    ):
                        extra = (new_state or state).extra
                        new_state = StreamState(str(item[stream.cursor_field]), key, extra)
                    if len(pending) >= self.batch_size:
                        await self._flush(
                            instance, connector, stream_name, pending, letters, new_state, result, progress
                        )
                        pending, letters = [], []
                await self._flush(
                    instance, connector, stream_name, pending, letters, new_state, result, progress
                )
                pending, letters = [], []
            if pushed_at:
                # Everything read was delivered or dead-lettered, and the state stored: the pushes are done.
                await self.store.pushes_read(instance, pushed_at)
        finally:
            close = getattr(it, "close", None)
            if close is not None:
                await asyncio.to_thread(close)

    @staticmethod
    async def _estimate(connector: Connector, stream: str, state: StreamState, done: int) -> int | None:
        """The connector's estimate of what is left, as a total for the progress (None: unknown)."""
        try:
            left = await asyncio.to_thread(connector.estimate, stream, state)
        except Exception as exc:  # an estimate is a nicety: never a reason to fail the sync
            log.debug("%s: no estimate for %s: %s", connector.name, stream, exc)
            return None
        return None if left is None else done + max(0, int(left))

    async def _flush(
        self,
        instance: str,
        connector: Connector,
        stream: str,
        records: list[Record],
        letters: list[DeadLetter],
        state: StreamState | None,
        result: SyncResult,
        progress: Progress | None = None,
    ) -> None:
        if not records and not letters and state is None:
            return
        if tracing.enabled():
            attributes = {
                "isthmus.connector.instance": instance,
                "isthmus.connector.stream": stream,
                "isthmus.records": len(records) + len(letters),
            }
            with tracing.span(f"connector batch {instance}/{stream}", attributes=attributes):
                await self._deliver(instance, connector, stream, records, letters, state, result, progress)
        else:
            await self._deliver(instance, connector, stream, records, letters, state, result, progress)

    async def _deliver(
        self,
        instance: str,
        connector: Connector,
        stream: str,
        records: list[Record],
        letters: list[DeadLetter],
        state: StreamState | None,
        result: SyncResult,
        progress: Progress | None,
    ) -> None:
        letters = list(letters)
        read = len(records) + len(letters)
        accepted = 0
        delivered: list[str] = []
        if records:
            deliveries = await self.sink.deliver(instance, connector.system, stream, records)
            pk = connector.stream(stream).primary_key
            for record, delivery in zip(records, deliveries, strict=True):
                result.outcomes[delivery.outcome or ("accepted" if delivery.accepted else "rejected")] += 1
                if delivery.accepted:
                    accepted += 1
                    delivered.append(str(record.get(pk, "")))
                else:
                    letters.append(
                        DeadLetter(stream, str(record.get(pk, "")), record, f"hub: {delivery.reason}")
                    )
        result.accepted += accepted
        result.rejected += len(letters)
        # A record delivered now resolves the open letters it left in earlier syncs.
        await self.store.checkpoint(instance, stream, state, letters, delivered)
        if state is not None:
            result.state = state
        if progress is not None:
            progress.advance(read, accepted=accepted, rejected=len(letters))
        if self.metrics:
            self.metrics.read.labels(instance, stream).inc(read)
            self.metrics.accepted.labels(instance, stream).inc(accepted)
            self.metrics.rejected.labels(instance, stream).inc(len(letters))
            lag = _lag(state, self.clock())
            if lag is not None:
                self.metrics.lag.labels(instance, stream).set(lag)
        for letter in letters:
            log.warning(
                "%s/%s: record %s dead-lettered: %s", instance, stream, letter.record_key, letter.reason,
                extra={"instance": instance, "stream": stream},
            )  # fmt: skip


@dataclass
class ReplayResult:
    instance: str
    resolved: list[DeadLetter] = field(default_factory=list)
    failed: list[DeadLetter] = field(default_factory=list)  # with the new reason


async def replay(
    syncer: Syncer, instance: str, connector: Connector, letters: Sequence[DeadLetter]
) -> ReplayResult:
    """Deliver dead letters again, as the sync would now (the connector's transforms, the canonical
    schema, the hub): those the hub accepts are resolved, the others keep the letter with the new
    reason. A refusal of the whole connector (``HubRefused``) changes nothing and is raised."""
    out = ReplayResult(instance)
    transforms_of: dict[str, list[RecordTransform]] = {}
    by_stream: dict[str, list[tuple[DeadLetter, Record]]] = {}
    offered = {s.name for s in connector.streams}
    for letter in letters:
        if letter.stream not in offered:
            out.failed.append(_again(letter, f"the connector has no stream {letter.stream!r} any more"))
            continue
        if not isinstance(letter.record, dict):
            # The source's raw input (a malformed line): only the source can mend it.
            out.failed.append(_again(letter, letter.reason))
            continue
        if letter.stream not in transforms_of:
            transforms_of[letter.stream] = (
                syncer.plugins.transforms(connector.name, letter.stream, connector.config)
                if syncer.plugins
                else []
            )
        record, reason = prepare(letter.stream, letter.record, transforms_of[letter.stream])
        if record is None:
            out.failed.append(_again(letter, reason))
        else:
            by_stream.setdefault(letter.stream, []).append((letter, record))
    for stream, pairs in by_stream.items():
        for start in range(0, len(pairs), syncer.batch_size):
            chunk = pairs[start : start + syncer.batch_size]
            deliveries = await syncer.sink.deliver(instance, connector.system, stream, [r for _, r in chunk])
            for (letter, _), delivery in zip(chunk, deliveries, strict=True):
                if delivery.accepted:
                    out.resolved.append(letter)
                else:
                    out.failed.append(_again(letter, f"hub: {delivery.reason}"))
    await syncer.store.replayed(
        instance,
        [x.dead_letter_id for x in out.resolved],
        [(x.dead_letter_id, x.reason) for x in out.failed],
    )
    if syncer.metrics:
        for letter in out.resolved:
            syncer.metrics.accepted.labels(instance, letter.stream).inc()
    return out


def _again(letter: DeadLetter, reason: str) -> DeadLetter:
    return DeadLetter(
        letter.stream, letter.record_key, letter.record, reason, letter.dead_letter_id, letter.created_at,
        replay_count=letter.replay_count + 1,
    )  # fmt: skip


def _lag(state: StreamState | None, now: datetime) -> float | None:
    if state is None or not state.cursor:
        return None
    try:
        cursor = datetime.fromisoformat(state.cursor)
    except ValueError:
        return None
    if cursor.tzinfo is None:
        return None
    return max(0.0, (now - cursor).total_seconds())
