"""The webhook side: verify the shop's HMAC signature, drop re-sent deliveries, spool the rest.

The shop signs the raw body with the shared secret (``X-Shop-Signature: sha256=<hex>``) and gives
every delivery an id (``X-Shop-Webhook-Id``) that stays the same when it re-sends. The spool is a
JSON Lines file per topic that ``EcommerceConnector.read`` merges with its API backfill.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

TOPICS = {"customers/update": "customers", "orders/update": "orders"}


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookInbox:
    def __init__(self, directory: Path, secret: str) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.secret = secret
        self._lock = threading.Lock()
        self._seen_file = self.directory / "seen-ids.txt"

    def _seen(self) -> set[str]:
        return set(self._seen_file.read_text().split()) if self._seen_file.exists() else set()

    def accept(self, topic: str, webhook_id: str, signature: str, body: bytes) -> tuple[int, str]:
        """HTTP status and message for one delivery."""
        if not hmac.compare_digest(sign(self.secret, body), signature or ""):
            return 401, "bad signature"
        stream = TOPICS.get(topic)
        if stream is None:
            return 400, f"unknown topic {topic!r}"
        try:
            payload = json.loads(body)
        except json.JSONDecodeError:
            return 400, "body is not JSON"
        with self._lock:
            if webhook_id in self._seen():
                return 200, "duplicate ignored"
            with (self.directory / f"{stream}.jsonl").open("a") as spool:
                spool.write(json.dumps(payload) + "\n")
            with self._seen_file.open("a") as seen:
                seen.write(webhook_id + "\n")
        return 200, "accepted"

    def events(self, stream: str) -> list[dict[str, Any]]:
        path = self.directory / f"{stream}.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


class WebhookReceiver:
    """A small HTTP endpoint for the shop's webhooks, started beside the runtime."""

    def __init__(self, inbox: WebhookInbox, host: str = "127.0.0.1", port: int = 0) -> None:
        self.inbox = inbox
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status, message = receiver.inbox.accept(
                    self.headers.get("X-Shop-Topic", ""),
                    self.headers.get("X-Shop-Webhook-Id", ""),
                    self.headers.get("X-Shop-Signature", ""),
                    body,
                )
                self.send_response(status)
                self.end_headers()
                self.wfile.write(message.encode())

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/webhooks"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
