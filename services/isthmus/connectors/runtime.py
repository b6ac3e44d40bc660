"""The connector runtime: configured instances, scheduled syncs, and write-back of golden changes.

Instances come from a JSON file named by ``ISTHMUS_CONNECTORS_FILE``::

    {"instances": [
      {"name": "erp", "connector": "erp", "schedule_seconds": 300,
       "config": {"url": "postgresql://erp-replica/erp", "password": "${ERP_PASSWORD}"}}
    ]}

``${NAME}`` inside a string value is replaced by that environment variable when the file is read, so
secrets stay in the environment (Kubernetes Secrets), never in the file or the logs.

A source that pushes (webhooks) is answered by ``receive``: the connector checks the push, the state
store keeps what it holds, and the instance's next sync is brought forward to about a second later.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import random
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from isthmus.connectors.engine import ReplayResult, Syncer, SyncResult, replay
from isthmus.connectors.locks import InstanceLocks, LocalLocks
from isthmus.connectors.metrics import connector_metrics
from isthmus.connectors.plugins import PluginManager
from isthmus.connectors.sdk import (
    CANONICAL_STREAMS,
    ConfigInvalid,
    Connector,
    GoldenChange,
    Push,
    PushRefused,
    Record,
    Tracer,
    redact,
)
from isthmus.platform.progress import Progress

log = logging.getLogger("isthmus.connectors")

FILE_ENV = "ISTHMUS_CONNECTORS_FILE"
REPLAY_LIMIT = 10_000  # dead letters one replay delivers at most (the oldest first)
# After a push, the sync waits this long for more (a burst of webhooks becomes one sync) ...
PUSH_DELAY_SECONDS = 1.0
# ... and, when another replica is syncing the instance, tries again this soon.
PUSH_RETRY_SECONDS = 2.0
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class InstanceConfigError(ValueError):
    """The instances file is wrong; the message says where."""


class InstanceBusy(Exception):
    """Another process is syncing the instance right now."""


@dataclass(frozen=True)
class Instance:
    name: str
    connector: str
    config: Mapping[str, Any]
    schedule_seconds: float = 300.0
    streams: tuple[str, ...] = ()  # empty: every stream the connector offers
    write_back: bool = True


def _expand(value: Any, env: Mapping[str, str], where: str) -> Any:
    if isinstance(value, str):

        def sub(m: re.Match[str]) -> str:
            if m.group(1) not in env:
                raise InstanceConfigError(f"{where}: environment variable {m.group(1)} is not set")
            return env[m.group(1)]

        return _VAR.sub(sub, value)
    if isinstance(value, dict):
        return {k: _expand(v, env, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [_expand(v, env, f"{where}[{i}]") for i, v in enumerate(value)]
    return value


def parse_instances(data: Any, env: Mapping[str, str] | None = None) -> list[Instance]:
    env = os.environ if env is None else env
    if not isinstance(data, dict) or not isinstance(data.get("instances"), list):
        raise InstanceConfigError('expected {"instances": [...]}')
    out: list[Instance] = []
    for i, entry in enumerate(data["instances"]):
        where = f"instances[{i}]"
        if not isinstance(entry, dict) or not entry.get("name") or not entry.get("connector"):
            raise InstanceConfigError(f"{where}: needs a name and a connector")
        streams = tuple(entry.get("streams") or ())
        unknown = [s for s in streams if s not in CANONICAL_STREAMS]
        if unknown:
            raise InstanceConfigError(f"{where}.streams: unknown stream {unknown[0]!r}")
        out.append(
            Instance(
                name=str(entry["name"]),
                connector=str(entry["connector"]),
                config=_expand(entry.get("config") or {}, env, f"{where}.config"),
                schedule_seconds=float(entry.get("schedule_seconds", 300)),
                streams=streams,
                write_back=bool(entry.get("write_back", True)),
            )
        )
    names = [i.name for i in out]
    if len(set(names)) != len(names):
        raise InstanceConfigError("two instances share a name")
    return out


def load_instances(path: Path | None, env: Mapping[str, str] | None = None) -> list[Instance]:
    if path is None:
        return []
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise InstanceConfigError(f"{path}: {exc}") from None
    return parse_instances(data, env)


def check_claims(instances: Sequence[Instance], plugins: PluginManager) -> None:
    """Refuse two instances that deliver the same stream as the same source system.

    The hub knows a record by (source system, source id): two sources under one name would overwrite
    each other's records (one's id 1 replacing the other's id 1) without a word. Instances that split
    one system's streams between them (one the customers, the other the orders) do not collide.
    """
    claimed: dict[tuple[str, str], str] = {}
    for inst in instances:
        try:
            cls = plugins.connector(inst.connector)
        except KeyError:
            continue  # reported when the instance is first used, as before
        system = str(inst.config.get("source_system") or cls.source_system or cls.name)
        for stream in inst.streams or cls.configured_streams(inst.config):
            other = claimed.setdefault((system, stream), inst.name)
            if other != inst.name:
                raise InstanceConfigError(
                    f"instances {other!r} and {inst.name!r} both deliver {stream} as source system "
                    f"{system!r}, so each would overwrite the other's records: give one its own "
                    f'"source_system" in its config (and add that to ISTHMUS_CUSTOMERS_SOURCE_SYSTEMS)'
                )


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class ConnectorRuntime:
    instances: Sequence[Instance]
    plugins: PluginManager
    syncer: Syncer
    # Shared by every replica of the component (advisory locks on PostgreSQL): an instance is synced
    # by one of them at a time, and on its schedule however many replicas run.
    locks: InstanceLocks = field(default_factory=LocalLocks)
    clock: Callable[[], datetime] = _utcnow
    _connectors: dict[str, Connector] = field(default_factory=dict)
    # Set when a push for the instance was kept: its loop syncs the pushed streams.
    _pushed: dict[str, asyncio.Event] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_claims(self.instances, self.plugins)

    def instance(self, name: str) -> Instance:
        for inst in self.instances:
            if inst.name == name:
                return inst
        known = ", ".join(i.name for i in self.instances) or "none configured"
        raise KeyError(f"no connector instance named {name!r} ({known})")

    def connector(self, name: str) -> Connector:
        if name not in self._connectors:
            inst = self.instance(name)
            cls = self.plugins.connector(inst.connector)
            try:
                self._connectors[name] = cls(inst.config)
            except ConfigInvalid as exc:
                raise InstanceConfigError(f"instance {name!r}: config {exc}") from None
            log.info("connector %s ready", name, extra={"config": redact(cls, inst.config)})
        return self._connectors[name]

    def streams(self, name: str) -> list[str]:
        inst = self.instance(name)
        connector = self.connector(name)
        offered = type(connector).configured_streams(connector.config)
        wanted = inst.streams or offered
        # Customers first: the other streams name customers by source id, resolved through them.
        return [s for s in CANONICAL_STREAMS if s in wanted and s in offered]

    async def sync(
        self, name: str, streams: Sequence[str] | None = None, *, progress: bool = True
    ) -> list[SyncResult]:
        """Sync now, unless another process is syncing the instance (then InstanceBusy); each stream
        reports its progress (docs/operating.md) unless ``progress`` is False (a caller that reports
        by itself)."""
        async with self.locks.hold(name) as held:
            if not held:
                raise InstanceBusy(f"instance {name!r} is being synced by another process; try again later")
            return await self._sync(name, streams, progress)

    async def _sync(
        self, name: str, streams: Sequence[str] | None = None, progress: bool = True
    ) -> list[SyncResult]:
        connector = self.connector(name)
        results = []
        for stream in streams or self.streams(name):
            if not progress:
                results.append(await self.syncer.sync(name, connector, stream))
                continue
            with Progress(f"sync {name}/{stream}", unit="records") as report:
                results.append(await self.syncer.sync(name, connector, stream, report))
        return results

    async def replay(self, name: str, ids: Sequence[str] | None = None) -> ReplayResult:
        """Deliver the instance's open dead letters again (those whose ``dead_letter_id`` is in ``ids``;
        all when None),
        unless another process is syncing the instance (then InstanceBusy)."""
        connector = self.connector(name)
        async with self.locks.hold(name) as held:
            if not held:
                raise InstanceBusy(f"instance {name!r} is being synced by another process; try again later")
            letters = await self.syncer.store.dead_letters(name, REPLAY_LIMIT, ids=ids)
            result = await replay(self.syncer, name, connector, letters)
        log.info(
            "replayed %d dead letters of %s: %d resolved, %d still refused",
            len(letters), name, len(result.resolved), len(result.failed),
        )  # fmt: skip
        return result

    async def receive(self, name: str, push: Push) -> tuple[int, str]:
        """Take a push for an instance: the HTTP status and message the source is answered with.

        200 only once what the push holds is stored (a re-sent delivery is recognised by its id and
        kept once); the connector's refusal (``PushRefused``) with its status; 404 for an instance
        that does not exist or takes no pushes (the same answer: the names of instances are not
        told to whoever asks); 503 when the store cannot take it (the source sends it again).
        """
        counted = connector_metrics().pushes
        inst = next((i for i in self.instances if i.name == name), None)
        connector = self.connector(name) if inst is not None else None
        if inst is None or connector is None or not connector.receives_pushes:
            return 404, "no connector instance of that name takes pushes here"
        try:
            items = await asyncio.to_thread(connector.receive, push)
        except PushRefused as exc:
            counted.labels(name, "refused").inc()
            status = exc.status if 400 <= exc.status < 500 else 400
            log.warning("%s: push refused (%d): %s", name, status, exc.reason, extra={"instance": name})
            return status, exc.reason
        except Exception:
            counted.labels(name, "failed").inc()
            log.exception("%s: the connector failed on a push", name, extra={"instance": name})
            return 500, "the push could not be read; the connector's log says why"
        streams = set(self.streams(name))
        offered = {s.name for s in connector.streams}
        strays = sorted({i.stream for i in items} - offered)
        if strays:
            counted.labels(name, "failed").inc()
            log.error("%s: receive() named streams the connector does not offer: %s", name, strays)
            return 500, "the push could not be read; the connector's log says why"
        kept = [i for i in items if i.stream in streams]  # streams the instance does not sync: not kept
        try:
            new = await self.syncer.store.push(name, kept) if kept else 0
        except Exception:
            counted.labels(name, "failed").inc()
            log.exception("%s: a push could not be stored", name, extra={"instance": name})
            return 503, "the push could not be stored now; send it again"
        if not new:
            counted.labels(name, "duplicate" if kept else "ignored").inc()
            return 200, "already received" if kept else "nothing this instance syncs"
        counted.labels(name, "accepted").inc()
        self._pushed.setdefault(name, asyncio.Event()).set()
        return 200, "accepted"

    async def run_forever(self) -> None:
        """Every instance on its own schedule; one failing source does not hold up the others."""
        await asyncio.gather(*(self._loop(inst) for inst in self.instances))

    async def run_due(self, inst: Instance) -> float:
        """Sync the instance if it is due and no other replica holds it; return seconds to the next try.

        Due means: some stream of it has not started a sync (in any replica) within its schedule. So
        replicas take turns instead of each running the schedule, and a replica that just started does
        not sync again what another one synced a moment ago. Streams with pushes no sync has read are
        synced whether due or not.
        """
        async with self.locks.hold(inst.name) as held:
            if not held:
                log.debug("%s is being synced by another replica", inst.name)
                return PUSH_RETRY_SECONDS if await self._pushed_streams(inst) else inst.schedule_seconds
            wanted = self.streams(inst.name)
            last = await self.syncer.store.last_started(inst.name, wanted)
            left = 0.0 if last is None else inst.schedule_seconds - (self.clock() - last).total_seconds()
            streams: list[str] | None = None
            if left > 0:
                streams = await self._pushed_streams(inst)
                if not streams:
                    return left
            for result in await self._sync(inst.name, streams):
                log.info(
                    "synced %s/%s: %d read, %d accepted, %d rejected",
                    inst.name, result.stream, result.read, result.accepted, result.rejected,
                )  # fmt: skip
            if await self._pushed_streams(inst):
                return PUSH_RETRY_SECONDS  # more was pushed than one sync reads (PUSHES_PER_SYNC)
        return left if streams else inst.schedule_seconds

    async def _pushed_streams(self, inst: Instance) -> list[str]:
        """The instance's streams, in sync order, with pushes no sync has read."""
        if not self.connector(inst.name).receives_pushes:
            return []
        waiting = await self.syncer.store.pushed_streams(inst.name)
        return [s for s in self.streams(inst.name) if s in waiting]

    async def _loop(self, inst: Instance) -> None:
        woken = self._pushed.setdefault(inst.name, asyncio.Event())
        while True:
            wait = inst.schedule_seconds
            woken.clear()  # pushes kept from here on are read by this sync or wake the loop again
            try:
                wait = await self.run_due(inst)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("sync of %s failed; next attempt on schedule", inst.name)
            # A little jitter, so replicas that started together do not keep asking together.
            pause = max(wait, 0.5) + random.uniform(0, min(1.0, inst.schedule_seconds / 10))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(woken.wait(), pause)
                await asyncio.sleep(PUSH_DELAY_SECONDS)  # a burst of pushes: one sync

    async def write_back(self, values: Record, customer_id: str, sources: Sequence[tuple[str, str]],
                         changed_fields: Sequence[str], origin_system: str = "") -> int:  # fmt: skip
        """Hand a golden customer's change to every instance that writes back and holds the customer.

        ``sources`` are (source system, source id) pairs. The source that caused the change is skipped,
        so a correction does not echo back to where it came from.
        """
        written = 0
        for inst in self.instances:
            if not inst.write_back:
                continue
            connector = self.connector(inst.name)
            if not connector.supports_write or connector.system == origin_system:
                continue
            ids = tuple(sid for system, sid in sources if system == connector.system)
            if not ids:
                continue
            change = GoldenChange(customer_id, ids, tuple(changed_fields), values)
            counted = connector_metrics().write_backs
            try:
                await asyncio.to_thread(connector.write, change)
            except Exception:
                counted.labels(inst.name, "failed").inc()
                raise
            counted.labels(inst.name, "written").inc()
            written += 1
        return written

    async def file_tracer(self, tracer: Tracer) -> list[tuple[str, str, str]]:
        """Hand a tracer to every instance whose connector files tracers (a carrier's); the claims,
        as (instance, its source system, the carrier's reference). A connector that fails fails the
        call (the event is retried, then dead-lettered); the claims filed before it are filed again
        then, and a carrier answers them with the references it gave."""
        filed = []
        for inst in self.instances:
            if not self.plugins.connector(inst.connector).files_tracers:
                continue
            connector = self.connector(inst.name)
            counted = connector_metrics().tracers
            try:
                reference = await asyncio.to_thread(connector.file_tracer, tracer)
            except Exception:
                counted.labels(inst.name, "failed").inc()
                raise
            counted.labels(inst.name, "filed" if reference else "not_ours").inc()
            if reference:
                filed.append((inst.name, connector.system, reference))
        return filed

    def files_tracers(self) -> bool:
        """Whether some instance's connector files tracers: the component then consumes TracerIssued.
        Their configurations are checked now: a bad one stops the component as it starts, rather than
        failing each tracer as if it were bad data."""
        filing = [i for i in self.instances if self.plugins.connector(i.connector).files_tracers]
        for inst in filing:
            self.connector(inst.name)
        return bool(filing)

    def close(self) -> None:
        for connector in self._connectors.values():
            connector.close()
        self._connectors.clear()
