"""A signed-in user's browser on the console run in process: what the console's page tests share."""

from __future__ import annotations

import html
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from isthmus.console.app import create_app
from isthmus.console.session import COOKIE, Sealer, Session
from isthmus.console.settings import COMPONENTS, ConsoleSettings

KEY = b"console-test-secret-key-0123456789abcdef"


class Browser:
    """A signed-in user's browser: the session cookie the console sets, the CSRF token of its forms."""

    def __init__(self, client: httpx.AsyncClient, user: str = "Kim Agent", subject: str = "kim") -> None:
        self.client = client
        self.user, self.subject = user, subject
        self.cookie = ""
        self.csrf = ""

    def sign_in(self, scopes: list[str]) -> Browser:
        session = Session(user=self.user, subject=self.subject, scopes=scopes, via="open")
        session.expires = time.time() + 600
        self.cookie, self.csrf = Sealer(KEY).seal(session), session.csrf
        return self

    async def get(self, path: str) -> httpx.Response:
        return await self._send("GET", path)

    async def post(self, path: str, **form: str) -> httpx.Response:
        return await self._send("POST", path, data={"csrf": self.csrf, **form})

    async def follow(self, response: httpx.Response) -> httpx.Response:
        assert response.status_code == 303, (response.status_code, response.text[-800:])
        return await self.get(response.headers["location"])

    async def _send(self, method: str, path: str, **more: Any) -> httpx.Response:
        self.client.cookies.clear()
        response = await self.client.request(
            method, path, headers={"cookie": f"{COOKIE}={self.cookie}"}, **more
        )
        self.cookie = response.cookies.get(COOKIE) or self.cookie  # the flash travels in it
        return response


@asynccontextmanager
async def console(port: int, user: str = "Kim Agent", subject: str = "kim") -> AsyncIterator[Browser]:
    """The console in process, calling the hub at ``port``; a browser on it."""
    app = create_app(ConsoleSettings(secret_key=KEY, targets={c: f"127.0.0.1:{port}" for c in COMPONENTS}))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://console.test") as client:
        try:
            yield Browser(client, user, subject)
        finally:
            await app.state.console.backend.close()


def text(page: httpx.Response) -> str:
    """The page's text with the tags left out and the entities read, its whitespace squeezed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page.text)).split())
