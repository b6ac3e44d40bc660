"""Pushes (webhooks) through the connectors component: the HTTP endpoint, the runtime, the state store
(PostgreSQL and SQLite) and the web shop's connector, with the shop simulator sending real requests."""

from __future__ import annotations

import asyncio
import http.client
import json
import random
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from isthmus_connector_ecommerce.simulator import ShopSimulator
from sqlalchemy import insert

from isthmus.connectors import Connector, Push, Pushed, Stream, StreamState, hookimpl, webhooks
from isthmus.connectors.bootstrap import MIGRATIONS
from isthmus.connectors.engine import Syncer
from isthmus.connectors.hub import Delivery
from isthmus.connectors.metrics import connector_metrics
from isthmus.connectors.plugins import get_plugin_manager
from isthmus.connectors.runtime import ConnectorRuntime, Instance
from isthmus.connectors.state import PUSH_MEMORY, SqlStateStore, push_key, pushes
from isthmus.platform import config, db
from isthmus.platform.migrations import upgrade
from isthmus.platform.web import RunningHttp


@pytest.fixture(params=["postgres", "sqlite"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> config.Settings:
    if request.param == "postgres":
        return config.load({"ISTHMUS_DATABASE_URL": request.getfixturevalue("pg_database")})
    return config.load({"ISTHMUS_DATA_DIR": str(tmp_path)})


@pytest.fixture
async def store(settings: config.Settings) -> AsyncIterator[SqlStateStore]:
    upgrade(settings, "connectors", [MIGRATIONS])
    engine = db.async_engine(settings, "connectors")
    try:
        yield SqlStateStore(engine)
    finally:
        await engine.dispose()


class Sink:
    """The hub, at the edge: accepts every record and keeps it."""

    def __init__(self) -> None:
        self.records: list[tuple[str, dict[str, Any]]] = []

    async def deliver(
        self, instance: str, system: str, stream: str, records: Sequence[Any]
    ) -> list[Delivery]:
        self.records.extend((stream, r) for r in records)
        return [Delivery(True, outcome="accepted") for _ in records]

    def ids(self, stream: str = "customers") -> list[str]:
        key = "source_id" if stream == "customers" else "external_order_id"
        return [r[key] for s, r in self.records if s == stream]


@dataclass
class Shop:
    simulator: ShopSimulator
    runtime: ConnectorRuntime
    sink: Sink
    endpoint: RunningHttp

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.endpoint.port}/webhooks/shop"

    async def send(self, topic: str, obj: dict[str, Any], **kwargs: Any) -> int:
        return await asyncio.to_thread(self.simulator.send_webhook, topic, obj, **kwargs)


@pytest.fixture
def simulator(tmp_path: Path) -> Iterator[ShopSimulator]:
    shop = ShopSimulator(tmp_path / "shop", seed=0)
    try:
        yield shop
    finally:
        shop.close()


@pytest.fixture
async def shop(store: SqlStateStore, simulator: ShopSimulator) -> AsyncIterator[Shop]:
    sink = Sink()
    plugins = get_plugin_manager({})
    instances = [
        Instance("shop", "ecommerce", simulator.config(), schedule_seconds=3600),
        Instance("erp", "erp", {"url": "postgresql://nowhere.invalid/erp"}, schedule_seconds=3600),
    ]
    runtime = ConnectorRuntime(instances, plugins, Syncer(store, sink, plugins))
    endpoint = await webhooks.start(runtime, "127.0.0.1", 0)
    simulator.subscribe(f"http://127.0.0.1:{endpoint.port}/webhooks/shop")
    try:
        yield Shop(simulator, runtime, sink, endpoint)
    finally:
        await endpoint.stop()
        runtime.close()


async def post(url: str, body: bytes, headers: dict[str, str] | None = None, method: str = "POST") -> Any:
    """(status, text) of a request from another thread: the endpoint runs on this test's event loop."""

    def send() -> tuple[int, str]:
        request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return int(response.status), response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    return await asyncio.to_thread(send)


async def declared_only(url: str, length: int) -> tuple[int, str]:
    """(status, text) of a POST that declares ``length`` bytes of body and sends none of them."""

    def send() -> tuple[int, str]:
        parts = urllib.parse.urlsplit(url)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        try:
            connection.putrequest("POST", parts.path)
            connection.putheader("Content-Length", str(length))
            connection.endheaders()
            response = connection.getresponse()
            return response.status, response.read().decode()
        finally:
            connection.close()

    return await asyncio.to_thread(send)


async def until(check: Any, what: str) -> None:
    for _ in range(600):
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"not within a minute: {what}")


def counted(outcome: str, instance: str = "shop") -> float:
    return connector_metrics().pushes.labels(instance, outcome)._value.get()


NEWER = {
    "id": 77,
    "first_name": "Cy",
    "last_name": "Vo",
    "email": "cy@x.example",
    "updated_at": "2099-07-01T00:00:00Z",
}


async def test_a_push_is_kept_once_and_the_next_sync_delivers_it(shop: Shop, store: SqlStateStore) -> None:
    accepted, duplicate = counted("accepted"), counted("duplicate")
    # A customer the API does not show yet: only the webhook has it.
    assert await shop.send("customers/update", NEWER, webhook_id="wh-1") == 200
    assert await shop.send("customers/update", NEWER, webhook_id="wh-1") == 200  # sent again
    assert (counted("accepted") - accepted, counted("duplicate") - duplicate) == (1, 1)
    positions, pending = await store.pending_pushes("shop", "customers")
    assert pending == [NEWER] and len(positions) == 1
    assert await store.pushed_streams("shop") == ["customers"]

    (result,) = await shop.runtime.sync("shop", ["customers"], progress=False)
    assert result.accepted == 1 and shop.sink.ids() == ["77"]
    assert await store.pending_pushes("shop", "customers") == ([], [])
    assert await store.pushed_streams("shop") == []
    # Read and delivered, the delivery is still known: sent once more, it is not kept again.
    assert await shop.send("customers/update", NEWER, webhook_id="wh-1") == 200
    assert await store.pushed_streams("shop") == []
    await shop.runtime.sync("shop", ["customers"], progress=False)
    assert shop.sink.ids() == ["77"]


async def test_pushes_a_sync_did_not_finish_are_read_again(shop: Shop, store: SqlStateStore) -> None:
    assert await shop.send("customers/update", NEWER) == 200

    class Down:
        async def deliver(self, *args: Any) -> list[Delivery]:
            raise RuntimeError("the hub is down")

    shop.runtime.syncer.sink = Down()
    with pytest.raises(RuntimeError, match="the hub is down"):
        await shop.runtime.sync("shop", ["customers"], progress=False)
    assert (await store.pending_pushes("shop", "customers"))[1] == [NEWER]
    shop.runtime.syncer.sink = shop.sink
    await shop.runtime.sync("shop", ["customers"], progress=False)
    assert shop.sink.ids() == ["77"]


async def test_the_endpoint_answers_bad_pushes_without_keeping_them(shop: Shop, store: SqlStateStore) -> None:
    refused = counted("refused")
    assert await shop.send("customers/update", NEWER, secret="guessed") == 401
    body = json.dumps(NEWER).encode()
    status, text = await post(shop.url, body, {"X-Shop-Topic": "customers/update"})
    assert (status, text) == (401, "the signature does not verify (X-Shop-Signature)\n")
    assert counted("refused") - refused == 2
    # An instance that does not exist, and one whose connector takes no pushes: the same answer.
    for name in ("nowhere", "erp"):
        status, text = await post(shop.url.replace("/shop", f"/{name}"), body)
        assert (status, text) == (404, "no connector instance of that name takes pushes here\n")
    # Too large: refused from the declared length, before the body is read (none is sent: a client
    # still sending a body the endpoint already refused can meet a closed connection instead).
    status, text = await declared_only(shop.url, webhooks.MAX_PUSH_BYTES + 1)
    assert status == 413 and str(webhooks.MAX_PUSH_BYTES) in text
    assert (await post(shop.url, b"{}", method="GET"))[0] == 405
    assert (await post(shop.url.replace("/webhooks/shop", "/elsewhere"), b"{}"))[0] == 404
    assert await store.pushed_streams("shop") == []


async def test_whatever_bytes_arrive_an_unsigned_push_is_a_client_error_and_nothing_is_kept(
    shop: Shop, store: SqlStateStore
) -> None:
    rng = random.Random(7)
    topics = [
        "customers/update",
        "orders/updated",
        "checkouts/update",
        "",
        "x" * 5000,
        "customers/update\u00e9",
    ]
    for _ in range(60):
        body = rng.randbytes(rng.choice([0, 1, 64, 4096]))
        headers = {
            "X-Shop-Topic": rng.choice(topics).encode("utf-8").decode("latin-1"),
            "X-Shop-Webhook-Id": rng.randbytes(8).hex(),
            "X-Shop-Signature": rng.choice(["", "sha256=", "sha256=" + rng.randbytes(32).hex(), "md5=00"]),
        }
        status, _ = await post(shop.url, body, headers)
        assert 400 <= status < 500, (status, headers)
    for name in ("%00", "..%2F..%2Fetc", "x" * 2000, "%C3%A9"):
        status, _ = await post(shop.url.replace("/shop", f"/{name}"), b"{}")
        assert status == 404, name
    assert await store.pushed_streams("shop") == []


async def test_a_body_longer_than_declared_limit_is_cut_off(shop: Shop) -> None:
    # No Content-Length (chunked): the endpoint stops reading at the limit.
    app = webhooks.create_app(shop.runtime, max_bytes=10)
    sent: list[dict[str, Any]] = []
    chunks = [b"0123456789", b"abc"]

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": chunks.pop(0), "more_body": bool(chunks)}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http", "method": "POST", "path": "/webhooks/shop", "raw_path": b"/webhooks/shop",
        "headers": [(b"transfer-encoding", b"chunked")], "query_string": b"", "root_path": "",
    }  # fmt: skip
    await app(scope, receive, send)
    assert sent[0]["status"] == 413


async def test_a_push_brings_the_instance_s_sync_forward(shop: Shop, store: SqlStateStore) -> None:
    # The schedule is an hour: the first round syncs (never synced), the push then wakes the loop.
    (shop_instance, _) = shop.runtime.instances
    loop = asyncio.create_task(shop.runtime._loop(shop_instance))
    try:
        await until(lambda: store.last_started("shop"), "the first round's sync")
        assert await shop.send("customers/update", NEWER) == 200

        async def delivered() -> bool:
            return "77" in shop.sink.ids() and not await store.pushed_streams("shop")

        await until(delivered, "the pushed customer delivered and the push read")
    finally:
        loop.cancel()
        with pytest.raises(asyncio.CancelledError):
            await loop


async def test_a_sync_of_pushed_streams_leaves_the_others_due(shop: Shop, store: SqlStateStore) -> None:
    runtime = shop.runtime
    shop_instance = runtime.instances[0]
    start = runtime.clock()

    def at(minutes: float) -> None:
        moment = start + timedelta(minutes=minutes)
        runtime.clock = runtime.syncer.clock = lambda: moment

    at(0)
    await runtime.run_due(shop_instance)  # never synced: every stream
    assert await runtime.run_due(shop_instance) == 3600  # nothing due, nothing pushed
    when = "2099-01-01T00:00:00Z"
    order = {"id": 5, "customer_id": 1, "currency": "EUR", "created_at": when, "updated_at": when}
    order["line_items"] = [{"sku": "MUG-1", "quantity": 1, "price": "12.50"}]
    assert await shop.send("orders/updated", order) == 200
    at(30)
    assert await runtime.run_due(shop_instance) == 1800  # the pushed stream now, the rest when due
    assert shop.sink.ids("orders")[-1] == "5"
    runs = await store.runs("shop", 100)
    assert [r.stream for r in runs if r.started_at.replace(tzinfo=None) > start.replace(tzinfo=None)] == [
        "orders"
    ]
    # An hour after the first sync the other streams are due, though orders synced half an hour ago.
    at(61)
    await runtime.run_due(shop_instance)
    assert len(await store.runs("shop", 100)) - len(runs) == len(runtime.streams("shop"))


async def test_a_delivery_id_is_forgotten_a_while_after_it_was_read(store: SqlStateStore) -> None:
    long_id = "x" * 300
    assert push_key(long_id) != push_key("x" * 299) and len(push_key(long_id) or "") <= 200
    assert await store.push("i", [Pushed("customers", {"n": 1}, long_id), Pushed("customers", {"n": 2})]) == 2
    assert await store.push("i", [Pushed("customers", {"n": 1}, long_id), Pushed("customers", {"n": 2})]) == 1
    positions, pending = await store.pending_pushes("i", "customers")
    assert pending == [{"n": 1}, {"n": 2}, {"n": 2}]
    await store.pushes_read("i", positions)
    assert await store.push("i", [Pushed("customers", {"n": 1}, long_id)]) == 0
    # Past PUSH_MEMORY, the next read forgets it: sent again then, it is kept (and read) again.
    now = store.clock()
    store.clock = lambda: now + PUSH_MEMORY + timedelta(minutes=1)
    await store.pushes_read("i", [])
    assert await store.push("i", [Pushed("customers", {"n": 1}, long_id)]) == 1


async def test_a_push_stored_while_a_sync_read_is_left_for_the_next(store: SqlStateStore) -> None:
    # Two receives commit out of order: the later one's row has the earlier position. Read pushes are
    # marked by position, never "up to" the last one read.
    assert await store.push("i", [Pushed("orders", {"n": 2}, "b")]) == 1
    positions, _ = await store.pending_pushes("i", "orders")
    async with store.engine.begin() as conn:
        await conn.execute(
            insert(pushes).values(
                id=min(positions) - 1, instance="i", stream="orders", delivery_id="a",
                payload='{"n": 1}', received_at=store.clock(),
            )
        )  # fmt: skip
    await store.pushes_read("i", positions)
    assert await store.pending_pushes("i", "orders") == ([min(positions) - 1], [{"n": 1}])


class Faulty(Connector):
    """Receives pushes, wrongly: names a stream it does not offer, or fails outright."""

    name = "faulty-test"
    streams = (Stream("customers", "source_id", "updated_at"),)
    receives_pushes = True

    def read(self, stream: str, state: StreamState) -> Iterator[Any]:
        return iter(())

    def receive(self, push: Push) -> list[Pushed]:
        if push.body == b"stray":
            return [Pushed("orders", {})]
        raise ValueError("a bug")


class FaultyPlugin:
    @hookimpl
    def register_connectors(self) -> list[type[Connector]]:
        return [Faulty]


async def test_a_connector_failing_on_a_push_is_answered_500_and_logged(
    store: SqlStateStore, caplog: pytest.LogCaptureFixture
) -> None:
    plugins = get_plugin_manager({}, entry_points=False)
    plugins.register(FaultyPlugin(), name="faulty-test")
    runtime = ConnectorRuntime([Instance("f", "faulty-test", {})], plugins, Syncer(store, Sink(), plugins))
    failed = counted("failed", "f")
    for body in (b"stray", b"boom"):
        status, message = await runtime.receive("f", Push({}, body))
        assert (status, message) == (500, "the push could not be read; the connector's log says why")
    assert counted("failed", "f") - failed == 2
    assert "does not offer: ['orders']" in caplog.text and "ValueError: a bug" in caplog.text
    assert await store.pushed_streams("f") == []
