"""A simulated web shop: a REST API with cursor paging and rate limits, and the webhooks it sends."""

from __future__ import annotations

import base64
import json
import threading
import urllib.parse
import urllib.request
import uuid
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from isthmus.connectors import Push
from isthmus_connector_ecommerce.webhooks import sign

TOKEN = "shop-api-token-123"
SECRET = "shop-webhook-secret"


def _encode(updated_at: str, ident: int) -> str:
    return base64.urlsafe_b64encode(f"{updated_at}|{ident}".encode()).decode()


def _decode(cursor: str) -> tuple[str, int]:
    updated_at, ident = base64.urlsafe_b64decode(cursor.encode()).decode().rsplit("|", 1)
    return updated_at, int(ident)


class ShopSimulator:
    def __init__(self, directory: Path, *, seed: int = 12, rate_limit_every: int = 4) -> None:
        self.data: dict[str, dict[int, dict[str, Any]]] = {"customers": {}, "orders": {}, "carts": {}}
        self.rate_limit_every = rate_limit_every
        self.requests = 0
        self.rate_limited = 0
        self.next_id = 1
        self.tick = 0
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        # Where the shop's admin said to send webhooks (``subscribe``).
        self.webhook_url: str | None = None
        if seed:
            self.add_records("customers", seed)
            self.add_records("orders", seed)
            self.add_records("carts", max(1, seed // 3))

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def config(self) -> dict[str, Any]:
        return {"base_url": self.base_url, "api_token": TOKEN, "webhook_secret": SECRET, "page_size": 5}

    def bad_config(self) -> dict[str, Any]:
        return {"base_url": self.base_url, "api_token": "wrong-token-000"}

    def _stamp(self) -> str:
        self.tick += 1
        return f"2024-05-02T09:{(self.tick // 2) // 60:02d}:{(self.tick // 2) % 60:02d}+00:00"

    def put(self, stream: str, obj: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            if "id" not in obj:
                obj["id"] = self.next_id
                self.next_id += 1
            obj.setdefault("updated_at", self._stamp())
            self.data[stream][obj["id"] if obj["id"] is not None else -self.next_id] = obj
        return obj

    def add_customer(self, first: str, last: str, email: str, **extra: Any) -> dict[str, Any]:
        return self.put("customers", {"first_name": first, "last_name": last, "email": email, **extra})

    def set_marketing_consent(
        self, customer_id: int, channel: str, state: str, at: str, opt_in_level: str = "single_opt_in"
    ) -> dict[str, Any]:
        """The customer opts in ("subscribed") or out ("unsubscribed") of email or sms marketing."""
        with self._lock:
            customer = dict(self.data["customers"][customer_id])
        customer[f"{channel}_marketing_consent"] = {
            "state": state, "opt_in_level": opt_in_level, "consent_updated_at": at,
        }  # fmt: skip
        before = customer.pop("updated_at", "")
        while (stamp := self._stamp()) <= before:  # a change the next incremental read must see
            pass
        customer["updated_at"] = stamp
        return self.put("customers", customer)

    def add_order(
        self,
        customer_id: int,
        items: list[tuple[str, str, int, str]],
        *,
        paid: bool = True,
        currency: str = "EUR",
        created_at: str = "2024-04-20T15:00:00+00:00",
    ) -> dict[str, Any]:
        return self.put("orders", {
            "customer_id": customer_id, "currency": currency, "created_at": created_at,
            "financial_status": "paid" if paid else "pending",
            "line_items": [{"sku": s, "title": t, "quantity": q, "price": p} for s, t, q, p in items],
        })  # fmt: skip

    def _changed(self, order: dict[str, Any]) -> dict[str, Any]:
        """The order with a new updated_at: a change the next incremental read must see."""
        before = order.pop("updated_at", "")
        while (stamp := self._stamp()) <= before:
            pass
        order["updated_at"] = stamp
        return self.put("orders", order)

    def fulfil_order(
        self, order_id: int, at: str, *, carrier: str = "DHL", tracking: str = "", delivered_at: str = ""
    ) -> dict[str, Any]:
        """The shop ships an order (a fulfillment), and later marks it delivered."""
        fulfillment = {"created_at": at, "tracking_company": carrier, "tracking_number": tracking}
        if delivered_at:
            fulfillment |= {"shipment_status": "delivered", "delivered_at": delivered_at}
        return self._changed(dict(self.data["orders"][order_id], fulfillments=[fulfillment]))

    def refund_order(
        self, order_id: int, refund_id: int, at: str, lines: list[tuple[int, int, str]]
    ) -> dict[str, Any]:
        """The shop refunds goods sent back: (line number from 1, quantity, reason) per line."""
        order = dict(self.data["orders"][order_id])
        refund = {
            "id": refund_id,
            "created_at": at,
            "refund_line_items": [{"line_item": n, "quantity": q, "reason": r} for n, q, r in lines],
        }
        return self._changed(dict(order, refunds=[*order.get("refunds", []), refund]))

    def cancel_order(self, order_id: int, reason: str, at: str) -> dict[str, Any]:
        """The shop cancels an order (``cancel_reason``: customer, fraud, inventory, declined, other)."""
        return self._changed(dict(self.data["orders"][order_id], cancelled_at=at, cancel_reason=reason))

    def add_cart(
        self,
        customer_id: int,
        items: list[tuple[str, str, int, str]],
        *,
        currency: str = "EUR",
        abandoned_at: str = "2024-05-01T18:00:00+00:00",
    ) -> dict[str, Any]:
        """A checkout the customer left before paying, as the shop reports it (abandoned checkouts)."""
        total = sum(Decimal(p) * q for _, _, q, p in items)
        return self.put("carts", {
            "customer_id": customer_id, "currency": currency, "abandoned_at": abandoned_at,
            "total_price": f"{total:.2f}",
            "line_items": [{"sku": s, "title": t, "quantity": q, "price": p} for s, t, q, p in items],
        })  # fmt: skip

    def add_records(self, stream: str, count: int) -> None:
        for _ in range(count):
            if stream == "customers":
                n = self.next_id
                self.add_customer(
                    f"Web{n}", f"Shopper{n}", f"web{n}@mail.example", phone="+49 151 000" + str(n)
                )
            else:
                customers = [c["id"] for c in self.data["customers"].values() if c.get("id")]
                if not customers:
                    customers = [self.add_customer("A", "B", "ab@mail.example")["id"]]
                buyer = customers[self.next_id % len(customers)]
                if stream == "carts":
                    self.add_cart(buyer, [("SKU-7", "Teapot", 1, "29.00")])
                else:
                    self.add_order(buyer, [("SKU-9", "Mug", 1, "12.50")])

    def add_bad_record(self, stream: str) -> None:
        self.put(stream, {"id": None, "email": "ghost@mail.example"})

    def subscribe(self, url: str) -> None:
        """Send webhooks to ``url`` (Isthmus's ``.../webhooks/<instance>``), as a shop's admin sets it."""
        self.webhook_url = url

    def signed_push(self, stream: str, obj: dict[str, Any]) -> Push:
        """The request the shop sends for ``obj``, as Isthmus's endpoint receives it (the test kit's)."""
        body = json.dumps(obj).encode()
        topic = {"customers": "customers/update", "orders": "orders/updated", "carts": "checkouts/update"}[
            stream
        ]
        headers = {
            "x-shop-topic": topic,
            "x-shop-webhook-id": uuid.uuid4().hex,
            "x-shop-signature": sign(SECRET, body),
        }
        return Push(headers, body)

    def send_webhook(self, topic: str, obj: dict[str, Any], *, webhook_id: str | None = None,
                     secret: str = SECRET) -> int:  # fmt: skip
        """Send one delivery to the subscribed URL; the HTTP status it was answered with."""
        if self.webhook_url is None:
            raise RuntimeError("no webhook subscription: call subscribe(url) first")
        body = json.dumps(obj).encode()
        request = urllib.request.Request(self.webhook_url, data=body, method="POST", headers={
            "X-Shop-Topic": topic, "X-Shop-Webhook-Id": webhook_id or uuid.uuid4().hex,
            "X-Shop-Signature": sign(secret, body), "Content-Type": "application/json",
        })  # fmt: skip
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return exc.code

    def _page(self, stream: str, query: dict[str, list[str]]) -> dict[str, Any]:
        limit = int(query.get("limit", ["50"])[0])
        rows = sorted((o for o in self.data[stream].values()), key=lambda o: (o["updated_at"], o["id"] or 0))
        if "cursor" in query:
            after = _decode(query["cursor"][0])
            rows = [o for o in rows if (o["updated_at"], o["id"] or 0) > after]
        elif "updated_since" in query:
            rows = [o for o in rows if o["updated_at"] >= query["updated_since"][0]]
        page = rows[:limit]
        more = len(rows) > limit
        return {
            "data": page,
            "next_cursor": _encode(page[-1]["updated_at"], page[-1]["id"] or 0) if more else None,
        }

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        shop = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urllib.parse.urlparse(self.path)
                stream = url.path.removeprefix("/api/")
                if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    return self._send(401, {"error": "invalid token"})
                if stream not in shop.data:
                    return self._send(404, {"error": "not found"})
                with shop._lock:
                    shop.requests += 1
                    limited = shop.rate_limit_every and shop.requests % shop.rate_limit_every == 0
                    if limited:
                        shop.rate_limited += 1
                if limited:
                    return self._send(429, {"error": "slow down"}, {"Retry-After": "0"})
                with shop._lock:
                    body = shop._page(stream, urllib.parse.parse_qs(url.query))
                return self._send(200, body)

            def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                return None

        return Handler

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
