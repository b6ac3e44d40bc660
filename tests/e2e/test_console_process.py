"""``isthmus serve console`` as Kubernetes runs it: refuses to start without its key, serves with it."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator

from free_ports import free_port

from .conftest import isthmus


def test_serve_console_without_a_secret_key_stops_with_the_fix_in_the_message() -> None:
    done = isthmus("serve", "console", env={"ISTHMUS_CONSOLE_SECRET_KEY": ""}, timeout=60)
    assert done.returncode == 2
    assert "ISTHMUS_CONSOLE_SECRET_KEY is not set" in done.stderr


@contextlib.contextmanager
def _console(poll_every: float) -> Iterator[int]:
    """``isthmus serve console`` on a free port, from the moment its probe answers (polled every
    ``poll_every`` seconds); it must stop cleanly on SIGTERM (exit 0) when the block ends."""
    port = free_port()
    env = {
        **os.environ,
        "ISTHMUS_CONSOLE_SECRET_KEY": "k" * 40,
        "ISTHMUS_CONSOLE_PORT": str(port),
        "ISTHMUS_CONSOLE_HOST": "127.0.0.1",
        # No hub: the console starts anyway and says so per page, as after a hub restart.
        "ISTHMUS_CONSOLE_HUB_TARGET": f"127.0.0.1:{free_port()}",
    }
    process = subprocess.Popen([sys.executable, "-m", "isthmus", "serve", "console"], env=env)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as reply:
                    assert reply.read() == b"ok"
                    break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(poll_every)
        yield port
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0


def test_serve_console_answers_its_probe_and_sends_visitors_to_sign_in() -> None:
    with (
        _console(poll_every=0.2) as port,
        urllib.request.urlopen(f"http://127.0.0.1:{port}/customers", timeout=5) as reply,
    ):
        assert reply.url.endswith("/signin?next=/customers")
        assert "script-src 'self'" in reply.headers["content-security-policy"]


def test_serve_console_stopped_the_moment_it_answers_still_stops_cleanly() -> None:
    # A pod deleted as it comes up: SIGTERM as soon as the probe answers, while the process may
    # still be finishing its start-up, is a graceful stop (exit 0), not death by the signal.
    with _console(poll_every=0.002):
        pass
