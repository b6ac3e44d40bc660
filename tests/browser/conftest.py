"""The web console in a real browser: Debian's chromium, driven by Playwright, against a running hub.

One hub (``isthmus up`` as a subprocess: SQLite, the in-process bus, tokens with different scopes)
and one browser serve every test here; each test gets a fresh browser context (its own cookies).
Outside CI a missing chromium skips these tests, loudly; under ``CI=true`` it fails them
(``.ci/run`` installs Debian's ``chromium`` package when it is missing).

``ISTHMUS_CONSOLE_SCREENSHOTS=<folder>`` makes the tests save screenshots of the main pages there
(``docs/images`` for the documentation, see docs/console.md).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from free_ports import free_port
from grpc_health.v1 import health_pb2, health_pb2_grpc

CHROMIUM = os.environ.get("ISTHMUS_TEST_CHROMIUM", "/usr/bin/chromium")
# What works in a container without a display, a GPU, a sandbox or the internet.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
TOKENS = {
    "steward": ("steward-token-0123456789", ["customers:read", "customers:admin"]),
    "reader": ("reader-token-0123456789a", ["customers:read", "operations:read"]),
    "operator": (
        "operator-token-012345678",
        ["customers:read", "operations:read", "operations:write", "connectors:read", "connectors:write"],
    ),
    "agent": (
        "agent-token-0123456789ab",
        ["customers:read", "service_requests:read", "service_requests:write", "service_requests:admin"],
    ),
    "loader": ("loader-token-0123456789ab", ["*"]),  # what a connector would hold: seeds the data
    # The console's own token, for users who sign in with OpenID Connect.
    "console": ("console-token-0123456789", ["customers:*", "operations:*"]),
}
OIDC_USER = {"sub": "u-4711", "name": "Olga Steward", "email": "olga@example.org", "groups": ["stewards"]}


IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _wait_grpc(port: int, process: subprocess.Popen[str], deadline_s: float = 60) -> None:
    deadline = time.monotonic() + deadline_s
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError(
                    f"isthmus exited early:\n{process.stderr.read() if process.stderr else ''}"
                )
            try:
                if stub.Check(health_pb2.HealthCheckRequest(), timeout=1).status == 1:
                    return
            except grpc.RpcError:
                time.sleep(0.2)
    raise AssertionError(f"isthmus did not become healthy on port {port} within {deadline_s}s")


def _browser_available() -> None:
    try:
        import playwright  # noqa: F401
    except ImportError as exc:
        why = f"the playwright package is not installed ({exc})"
    else:
        if Path(CHROMIUM).is_file() or shutil.which(CHROMIUM):
            return
        why = f"no chromium at {CHROMIUM} (apt-get install chromium)"
    if IN_CI:
        pytest.fail(f"CI=true: {why}; the console's browser tests cannot run", pytrace=False)
    pytest.skip(f"SKIPPED, NO BROWSER: {why}; the console's browser tests did not run")


@dataclass
class Hub:
    grpc_port: int
    console: str  # http://127.0.0.1:<port>
    data_dir: Path

    def token(self, who: str) -> str:
        return TOKENS[who][0]


def _wait_http(url: str, process: subprocess.Popen[str], deadline_s: float = 30) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"isthmus exited early:\n{process.stderr.read() if process.stderr else ''}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {deadline_s}s")


def _call_center(data_dir: Path) -> Path:
    """A call center's file drop with one broken line: the connector dead-letters it at its first sync."""
    from isthmus_connector_callcenter.simulator import CallCenterSimulator

    calls = CallCenterSimulator(data_dir / "callcenter", seed=0)
    calls.drop("callers", [calls.caller("K-1", "Lind, Mara", phone="040 111 2222")])
    calls.drop("calls", [calls.call("C-1", "K-1", topic="Invoice question"), ["C-2", "K-1", "broken line"]])
    instances = {"instances": [{"name": "callcenter", "connector": "callcenter", "schedule_seconds": 3600,
                                "config": calls.config()}]}  # fmt: skip
    calls.close()
    path = data_dir / "connectors.json"
    path.write_text(json.dumps(instances))
    return path


@pytest.fixture(scope="session")
def console_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    _browser_available()
    data_dir = tmp_path_factory.mktemp("console-hub")
    connectors_file = _call_center(data_dir)
    grpc_port, console_port = free_port(), free_port()
    from .oidc_provider import LocalProvider

    provider = LocalProvider(free_port(), "isthmus-console", "client-secret-for-tests", OIDC_USER)
    provider.start()
    env = {
        **os.environ,
        "ISTHMUS_CONSOLE_OIDC_ISSUER": provider.issuer,
        "ISTHMUS_CONSOLE_OIDC_CLIENT_ID": provider.client_id,
        "ISTHMUS_CONSOLE_OIDC_CLIENT_SECRET": provider.client_secret,
        "ISTHMUS_CONSOLE_OIDC_ROLE_SCOPES": json.dumps({"stewards": ["customers:read", "customers:admin"]}),
        "ISTHMUS_CONSOLE_HUB_TOKEN": TOKENS["console"][0],
        "ISTHMUS_AUTH_TOKENS": json.dumps({n: {"token": t, "scopes": s} for n, (t, s) in TOKENS.items()}),
        "ISTHMUS_CONNECTORS_FILE": str(connectors_file),
        "ISTHMUS_CONNECTORS_HUB_TOKEN": TOKENS["loader"][0],
        "ISTHMUS_CONSOLE_SECRET_KEY": "a-test-secret-key-of-forty-characters-xx",
        "ISTHMUS_LOG_LEVEL": "WARNING",
    }
    for name in ("ISTHMUS_DATABASE_URL", "ISTHMUS_AMQP_URL", "ISTHMUS_AUTH_DISABLED"):
        env.pop(name, None)
    args = ["up", "--data-dir", str(data_dir), "--grpc-port", str(grpc_port), "--metrics-port", "0"]
    process = subprocess.Popen(
        [sys.executable, "-m", "isthmus", *args, "--console-port", str(console_port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_grpc(grpc_port, process)
        console = f"http://127.0.0.1:{console_port}"
        _wait_http(console + "/healthz", process)
        yield Hub(grpc_port, console, data_dir)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        provider.stop()


@pytest.fixture(scope="session")
async def browser(console_hub: Hub) -> AsyncIterator[object]:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        # Playwright gives the browser a fresh profile (--user-data-dir) of its own in a temporary folder.
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture
async def page(browser: object) -> AsyncIterator[object]:
    context = await browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    page = await context.new_page()
    try:
        yield page
    finally:
        await context.close()


@pytest.fixture(scope="session")
def screenshots() -> Path | None:
    folder = os.environ.get("ISTHMUS_CONSOLE_SCREENSHOTS")
    if not folder:
        return None
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    return path
