"""The console's stock page: the articles customers wait for (the backorder report), every kept
article on request, and nothing for a user who may not read orders. The console runs in process
against an order service on SQLite."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from isthmus.console.app import create_app
from isthmus.console.session import COOKIE, Sealer, Session
from isthmus.console.settings import COMPONENTS, ConsoleSettings
from isthmus.kernel.timestamps import ts
from isthmus.platform import config, hub
from isthmus_client.api.orders.v1 import orders_pb2, orders_pb2_grpc

from ..orders.conftest import new_order

KEY = b"console-test-secret-key-0123456789abcdef"


@pytest.fixture
async def page(tmp_path: Path) -> AsyncIterator[Callable[[str, list[str]], Any]]:
    settings = config.load(
        {
            "ISTHMUS_DATA_DIR": str(tmp_path),
            "ISTHMUS_AUTH_DISABLED": "true",
            "ISTHMUS_GRPC_PORT": "0",
            "ISTHMUS_METRICS_PORT": "0",
        }
    )
    async with hub.running(settings, ["orders"]) as h, h.channel() as channel:
        orders = orders_pb2_grpc.OrderServiceStub(channel)
        due = ts(datetime(2026, 6, 3, tzinfo=UTC))
        await orders.SetStockLevel(
            orders_pb2.SetStockLevelRequest(
                sku="MOWER-1", on_hand=1, description="Lawn mower", expected_receipt_time=due
            )
        )
        await orders.SetStockLevel(
            orders_pb2.SetStockLevelRequest(sku="OIL-5", on_hand=40, description="Olive oil")
        )
        request = new_order()
        request.lines[0].sku, request.lines[0].quantity = "MOWER-1", 3
        await orders.CreateOrder(request)

        app = create_app(
            ConsoleSettings(secret_key=KEY, targets={c: f"127.0.0.1:{h.port}" for c in COMPONENTS})
        )
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://console.test") as client:

            async def get(path: str, scopes: list[str]) -> httpx.Response:
                session = Session(user="Olga Orders", subject="olga", scopes=scopes, via="open")
                session.expires = time.time() + 600
                client.cookies.set(COOKIE, Sealer(KEY).seal(session))
                return await client.get(path)

            try:
                yield get
            finally:
                await app.state.console.backend.close()


async def test_the_stock_page_shows_what_customers_wait_for_and_every_article_on_request(page: Any) -> None:
    waiting = await page("/stock", ["orders:read", "customers:read"])
    assert waiting.status_code == 200, waiting.text
    text = waiting.text
    assert 'href="/stock"' in text and "MOWER-1" in text and "Lawn mower" in text and "2026-06-03" in text
    assert '<td class="num">2</td>' in text  # units on backorder
    assert "OIL-5" not in text  # nobody waits for the oil
    everything = (await page("/stock?all=1", ["orders:read"])).text
    assert "MOWER-1" in everything and "OIL-5" in everything


async def test_a_user_who_may_not_read_orders_sees_no_stock(page: Any) -> None:
    denied = await page("/stock", ["customers:read"])
    assert denied.status_code == 403
    assert 'href="/stock"' not in (await page("/quality", ["customers:read"])).text
