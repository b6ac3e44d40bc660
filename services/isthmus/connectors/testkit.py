"""The connector test kit: a pytest plugin (entry point ``pytest11``) and a one-call test class.

A connector package's whole conformance test::

    from isthmus.connectors.testkit import connector_test_class
    from my_connector import MyConnector, SimulatedSource

    TestMyConnector = connector_test_class(MyConnector, source=SimulatedSource)

``source`` builds the connector's simulated external system (called with a temporary directory) and
implements :class:`SimulatedSource`. Every test runs the connector through the real sync engine with
an in-memory state store and a sink that accepts everything and remembers what it got.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar, Protocol

import jsonschema
import pytest

from isthmus.connectors.engine import RetryPolicy, Syncer, SyncResult
from isthmus.connectors.hub import Delivery
from isthmus.connectors.plugins import PluginManager, get_plugin_manager
from isthmus.connectors.sdk import (
    CANONICAL_STREAMS,
    ConfigInvalid,
    Connector,
    Push,
    PushRefused,
    Record,
    redact,
    secret_fields,
)
from isthmus.connectors.state import MemoryStateStore


class SimulatedSource(Protocol):
    """What the test kit needs from a connector's simulated external system."""

    def config(self) -> dict[str, Any]:
        """A configuration that reaches this source."""
        ...

    def bad_config(self) -> dict[str, Any]:
        """A configuration that passes the schema but cannot reach the source (wrong password, path)."""
        ...

    def add_records(self, stream: str, count: int) -> None:
        """Add ``count`` new records to the stream; at least two share one cursor value."""
        ...

    # A source whose connector receives pushes also has ``signed_push(stream, obj) -> Push``: the
    # request it would send for ``obj`` (an object of the stream as its API gives it), with its
    # credentials (a signature over the body).

    def add_bad_record(self, stream: str) -> None:
        """Add one record the connector cannot turn into a canonical record."""
        ...

    def close(self) -> None: ...


class RecordingSink:
    """Accepts every record and remembers (instance, stream, primary key) of each delivery."""

    def __init__(self, keys: dict[str, str]) -> None:
        self.keys = keys  # stream -> primary key field
        self.delivered: list[tuple[str, str]] = []
        self.records: list[tuple[str, Record]] = []

    async def deliver(
        self, instance: str, system: str, stream: str, records: Sequence[Record]
    ) -> list[Delivery]:
        for record in records:
            self.delivered.append((stream, str(record[self.keys[stream]])))
            self.records.append((stream, record))
        return [Delivery(True, outcome="accepted") for _ in records]

    def keys_of(self, stream: str) -> list[str]:
        return [k for s, k in self.delivered if s == stream]


class Crash(Exception):
    """Stands for the process dying."""


class _CrashingStore(MemoryStateStore):
    """Dies on the n-th checkpoint, after the hub took the batch; remembers how far state was saved."""

    def __init__(self, sink: RecordingSink, crash_at: int) -> None:
        super().__init__()
        self.sink = sink
        self.crash_at = crash_at
        self.calls = 0
        self.safe = 0  # deliveries covered by the last saved state

    async def checkpoint(
        self, instance: str, stream: str, state: Any, letters: Any, delivered: Any = ()
    ) -> None:
        self.calls += 1
        if self.calls == self.crash_at:
            raise Crash
        await super().checkpoint(instance, stream, state, letters, delivered)
        if state is not None:
            self.safe = len(self.sink.delivered)


async def _no_sleep(_seconds: float) -> None:
    return None


def run_sync(
    connector: Connector,
    stream: str,
    store: MemoryStateStore,
    sink: RecordingSink,
    *,
    batch_size: int = 5,
    plugins: PluginManager | None = None,
) -> SyncResult:
    syncer = Syncer(
        store, sink, plugins, batch_size=batch_size, retry=RetryPolicy(attempts=3), sleep=_no_sleep
    )
    return asyncio.run(syncer.sync("kit", connector, stream))


class ConnectorConformance:
    """The conformance tests; ``connector_test_class`` makes a concrete subclass of it."""

    connector_class: ClassVar[type[Connector]]
    source_factory: ClassVar[Callable[[Path], SimulatedSource]]
    batch_size: ClassVar[int] = 5
    new_records: ClassVar[int] = 7

    @pytest.fixture
    def source(self, tmp_path: Path) -> Iterator[SimulatedSource]:
        src = type(self).source_factory(tmp_path)
        try:
            yield src
        finally:
            src.close()

    @pytest.fixture
    def connector(self, source: SimulatedSource) -> Iterator[Connector]:
        instance = self.connector_class(source.config())
        try:
            yield instance
        finally:
            instance.close()

    def _sink(self) -> RecordingSink:
        return RecordingSink({s.name: s.primary_key for s in self.connector_class.streams})

    # -- spec ---------------------------------------------------------------------------------------

    def test_config_schema_is_a_valid_json_schema(self) -> None:
        schema = self.connector_class.config_schema
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema.get("type") == "object", "the config schema must describe an object"

    def test_secret_config_values_are_redacted(self, source: SimulatedSource) -> None:
        config = source.config()
        shown = redact(self.connector_class, config)
        for key in secret_fields(self.connector_class.config_schema):
            if config.get(key):
                assert shown[key] != config[key], f"secret {key!r} would be logged"

    def test_config_missing_a_required_field_is_refused_naming_it(self, source: SimulatedSource) -> None:
        required = self.connector_class.config_schema.get("required") or []
        if not required:
            pytest.skip("the config schema requires nothing")
        config = source.config()
        config.pop(required[0], None)
        with pytest.raises(ConfigInvalid) as caught:
            self.connector_class(config)
        assert caught.value.field == required[0]

    # -- check --------------------------------------------------------------------------------------

    def test_check_succeeds_with_good_config(self, connector: Connector) -> None:
        result = connector.check()
        assert result.ok, f"check() failed with the good config: {result.reason}"

    def test_check_with_bad_config_fails_with_a_reason(self, source: SimulatedSource) -> None:
        try:
            connector = self.connector_class(source.bad_config())
        except ConfigInvalid as exc:
            assert str(exc)
            return
        try:
            result = connector.check()
        finally:
            connector.close()
        assert not result.ok, "check() passed with the bad config"
        assert result.reason.strip(), "check() failed without saying why"

    # -- discovery ----------------------------------------------------------------------------------

    def test_streams_are_declared_with_primary_keys(self) -> None:
        streams = self.connector_class.streams
        assert streams, "the connector declares no streams"
        names = [s.name for s in streams]
        assert len(set(names)) == len(names), "a stream is declared twice"
        for s in streams:
            assert s.name in CANONICAL_STREAMS
            assert s.primary_key, f"stream {s.name} has no primary key"

    # -- pushes -------------------------------------------------------------------------------------
    # Collected only for a connector that receives pushes (``connector_test_class``).

    def _push(self, source: SimulatedSource, stream: str) -> Push:
        obj = {"id": 424242, "updated_at": "2030-01-01T00:00:00+00:00"}
        push: Push = getattr(source, "signed_push")(stream, obj)  # noqa: B009 (optional in the protocol)
        return push

    def test_a_push_the_source_signed_is_received_for_its_stream(
        self, connector: Connector, source: SimulatedSource, stream_name: str
    ) -> None:
        received = connector.receive(self._push(source, stream_name))
        assert received and {p.stream for p in received} == {stream_name}

    def test_a_push_without_the_source_s_credentials_is_refused(
        self, connector: Connector, source: SimulatedSource, stream_name: str
    ) -> None:
        """Whoever reaches the webhook endpoint must not get records in: the source's push with one byte
        of its body changed, or without its headers, is refused with a client error (``PushRefused``)."""
        push = self._push(source, stream_name)
        tampered = push.body.replace(b"424242", b"424243")
        assert tampered != push.body
        for forged in (Push(push.headers, tampered), Push({}, push.body), Push({}, b"\xff")):
            with pytest.raises(PushRefused) as refused:
                connector.receive(forged)
            assert 400 <= refused.value.status < 500 and refused.value.reason.strip()

    # -- read ---------------------------------------------------------------------------------------

    def test_full_read_yields_canonical_records(self, connector: Connector, stream_name: str) -> None:
        store, sink = MemoryStateStore(), self._sink()
        result = run_sync(connector, stream_name, store, sink, batch_size=self.batch_size)
        letters = store.letters.get("kit", [])
        assert not letters, f"records were dead-lettered: {[lt.reason for lt in letters][:3]}"
        assert result.read > 0, f"stream {stream_name} yielded nothing from the simulated source"
        keys = sink.keys_of(stream_name)
        assert len(keys) == len(set(keys)), "a full read delivered a record twice"

    def test_incremental_reads_neither_duplicate_nor_lose(
        self, source: SimulatedSource, connector: Connector, stream_name: str
    ) -> None:
        store, sink = MemoryStateStore(), self._sink()
        run_sync(connector, stream_name, store, sink, batch_size=self.batch_size)
        first = set(sink.keys_of(stream_name))
        source.add_records(stream_name, self.new_records)
        sink.delivered.clear()
        run_sync(connector, stream_name, store, sink, batch_size=self.batch_size)
        second = sink.keys_of(stream_name)

        everything = self._sink()
        run_sync(connector, stream_name, MemoryStateStore(), everything, batch_size=self.batch_size)
        all_keys = set(everything.keys_of(stream_name))

        if self.connector_class.stream(stream_name).is_incremental:
            assert not first & set(second), f"re-delivered: {sorted(first & set(second))[:5]}"
            assert len(second) == len(set(second)), "the second read delivered a record twice"
        assert first | set(second) == all_keys, f"lost: {sorted(all_keys - first - set(second))[:5]}"
        assert len(all_keys) == len(first) + self.new_records

    def test_resume_after_crash_between_delivery_and_checkpoint_loses_nothing(
        self, connector: Connector, stream_name: str
    ) -> None:
        sink = self._sink()
        store = _CrashingStore(sink, crash_at=2)
        with contextlib.suppress(Crash):
            run_sync(connector, stream_name, store, sink, batch_size=self.batch_size)
        before_crash = list(sink.keys_of(stream_name))
        safe = store.safe
        store.crash_at = 0
        sink.delivered.clear()
        run_sync(connector, stream_name, store, sink, batch_size=self.batch_size)
        after_crash = sink.keys_of(stream_name)

        everything = self._sink()
        run_sync(connector, stream_name, MemoryStateStore(), everything, batch_size=self.batch_size)
        assert set(before_crash) | set(after_crash) == set(everything.keys_of(stream_name)), (
            "records were lost"
        )
        if self.connector_class.stream(stream_name).is_incremental:
            # Only what was delivered after the last saved state may come again (the hub absorbs it).
            repeated = set(after_crash) & set(before_crash)
            assert repeated <= set(before_crash[safe:]), f"re-read past a saved state: {sorted(repeated)[:5]}"

    def test_bad_record_is_dead_lettered_and_the_sync_goes_on(
        self, source: SimulatedSource, connector: Connector, stream_name: str
    ) -> None:
        source.add_bad_record(stream_name)
        store, sink = MemoryStateStore(), self._sink()
        result = run_sync(connector, stream_name, store, sink, batch_size=self.batch_size)
        letters = store.letters.get("kit", [])
        assert letters, "the bad record was not reported"
        assert all(lt.reason for lt in letters), "a dead letter has no reason"
        assert result.accepted > 0, "the good records did not get through"


def connector_test_class(
    connector: type[Connector],
    *,
    source: Callable[[Path], SimulatedSource],
    streams: Sequence[str] | None = None,
    batch_size: int = 5,
) -> type[ConnectorConformance]:
    """The conformance test class for ``connector`` against its simulated ``source``."""
    attrs: dict[str, Any] = {
        "connector_class": connector,
        "source_factory": staticmethod(source),
        "batch_size": batch_size,
        "kit_streams": tuple(streams or (s.name for s in connector.streams)),
    }
    if not connector.receives_pushes:  # nothing to push to: not collected
        attrs["test_a_push_the_source_signed_is_received_for_its_stream"] = None
        attrs["test_a_push_without_the_source_s_credentials_is_refused"] = None
    return type(f"Test{connector.__name__}Conformance", (ConnectorConformance,), attrs)


# -- the pytest plugin --------------------------------------------------------------------------------


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    cls = metafunc.cls
    if cls is not None and issubclass(cls, ConnectorConformance) and "stream_name" in metafunc.fixturenames:
        metafunc.parametrize("stream_name", list(cls.kit_streams))


@pytest.fixture
def isthmus_plugins() -> PluginManager:
    """A fresh plugin manager with the built-ins and every installed plugin (entry points)."""
    return get_plugin_manager({})
