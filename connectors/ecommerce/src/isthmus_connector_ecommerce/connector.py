"""The connector: API backfill with cursor paging and rate-limit handling, merged with pushed webhooks."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

from isthmus.connectors import (
    BadRecord,
    CheckResult,
    Connector,
    Message,
    Push,
    Pushed,
    PushRefused,
    Stream,
    StreamState,
    TransientError,
)
from isthmus.connectors.canonical import schema
from isthmus_connector_ecommerce import webhooks

MAX_429_WAITS = 5
# The sales channels an order can come through (the canonical order's).
CHANNELS = schema("orders")["properties"]["channel"]["enum"]


class EcommerceConnector(Connector):
    name = "ecommerce"
    source_system = "webshop"
    config_schema = {
        "type": "object",
        "required": ["base_url", "api_token"],
        "additionalProperties": False,
        "properties": {
            "base_url": {"type": "string", "pattern": "^https?://"},
            "api_token": {"type": "string", "secret": True, "minLength": 8},
            "webhook_secret": {
                "type": "string",
                "secret": True,
                "description": "The secret the shop signs webhooks with; without it, webhooks are refused",
            },
            "page_size": {"type": "integer", "minimum": 1, "maximum": 250, "default": 100},
            "order_channel": {
                "enum": CHANNELS,
                "default": "web",
                "description": "The sales channel of the shop's orders (a marketplace shop: marketplace)",
            },
            "source_system": {"type": "string"},
            "mask_fields": {"type": "array", "items": {"type": "string"}},
        },
    }
    streams = (
        Stream("customers", primary_key="source_id", cursor_field="updated_at"),
        Stream("orders", primary_key="external_order_id", cursor_field="updated_at"),
        Stream("carts", primary_key="external_cart_id", cursor_field="updated_at"),
    )

    def _get(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        url = f"{self.config['base_url'].rstrip('/')}{path}?{urllib.parse.urlencode(params)}"
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {self.config['api_token']}"})
        for _ in range(MAX_429_WAITS):
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    data: dict[str, Any] = json.loads(response.read())
                    return data
            except urllib.error.HTTPError as exc:
                if exc.code == 429:
                    # The shop says how long to wait; honour it rather than hammering.
                    time.sleep(float(exc.headers.get("Retry-After", "1")))
                    continue
                if exc.code >= 500:
                    raise TransientError(f"shop API {exc.code} on {path}") from exc
                raise
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                raise TransientError(f"shop API unreachable: {exc}") from exc
        raise TransientError(f"shop API still rate-limiting {path}", retry_after=30)

    receives_pushes = True

    def receive(self, push: Push) -> list[Pushed]:
        secret = self.config.get("webhook_secret")
        if not secret:
            raise PushRefused(404, "this instance takes no webhooks (no webhook_secret in its config)")
        return [webhooks.parse(secret, push)]

    def check(self) -> CheckResult:
        try:
            self._get("/api/customers", {"limit": 1})
        except urllib.error.HTTPError as exc:
            if exc.code in (401, 403):
                return CheckResult.failure(f"the shop refused the API token ({exc.code})")
            return CheckResult.failure(f"the shop answered {exc.code}")
        except TransientError as exc:
            return CheckResult.failure(str(exc))
        return CheckResult.success()

    def _api(self, stream: str, since: str | None) -> Iterator[dict[str, Any]]:
        params: dict[str, Any] = {"limit": self.config["page_size"]}
        if since:
            params["updated_since"] = since
        while True:
            page = self._get(f"/api/{stream}", params)
            yield from page["data"]
            if not page.get("next_cursor"):
                return
            params = {"limit": self.config["page_size"], "cursor": page["next_cursor"]}

    def read(self, stream: str, state: StreamState) -> Iterator[Message]:
        after = (state.cursor or "", state.tie_breaker or "")
        latest: dict[str, dict[str, Any]] = {}
        bad: list[BadRecord] = []
        # Webhooks arrive first but may be missed; the API backfill since the cursor fills any gap.
        sources = [*state.pushed, *self._api(stream, state.cursor)]
        for obj in sources:
            if not isinstance(obj, dict) or not obj.get("id") or not isinstance(obj.get("updated_at"), str):
                key = str(obj.get("id")) if isinstance(obj, dict) else ""
                bad.append(BadRecord(f"{stream} object without id or updated_at", obj, key=key))
                continue
            key = str(obj["id"])
            if key not in latest or obj["updated_at"] > latest[key]["updated_at"]:
                latest[key] = obj
        yield from bad
        channel = self.config["order_channel"]
        mapping = {"customers": _customer, "orders": lambda o: _order(o, channel), "carts": _cart}[stream]
        for obj in sorted(latest.values(), key=lambda o: (o["updated_at"], _sortable(str(o["id"])))):
            if (obj["updated_at"], _sortable(str(obj["id"]))) <= (after[0], _sortable(after[1])):
                continue
            if stream == "carts" and not obj.get("abandoned_at"):
                continue  # a checkout still going on (a webhook tells of every one): no cart left behind
            try:
                record: Message = mapping(obj)
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                # One object the shop sent in a shape the mapping does not know: the rest go on.
                record = BadRecord(
                    f"{stream} object not as the shop documents it: {exc!r}", obj, key=str(obj["id"])
                )
            yield record


def _sortable(key: str) -> str:
    # Shop ids are numeric strings: compare 9 < 10, as the shop does.
    return key.zfill(20)


def _customer(obj: dict[str, Any]) -> dict[str, Any]:
    record: dict[str, Any] = {
        "source_id": str(obj["id"]),
        "name": {
            k: v
            for k, v in (("given_name", obj.get("first_name")), ("family_name", obj.get("last_name")))
            if v
        },
        "emails": [{"address": obj["email"], "kind": "personal", "primary": True}]
        if obj.get("email")
        else [],
        "phones": [{"number": obj["phone"], "kind": "mobile"}] if obj.get("phone") else [],
        "updated_at": obj["updated_at"],
    }
    consents = [c for c in (_consent(obj, "email"), _consent(obj, "sms")) if c is not None]
    if consents:
        record["consents"] = consents
    address = obj.get("default_address")
    if address:
        record["addresses"] = [
            {
                "lines": [address.get("address1", "")],
                "postal_code": address.get("zip", ""),
                "locality": address.get("city", ""),
                "region_code": address.get("country_code", ""),
                "kind": "shipping",
            }
        ]
    return record


def _cart(obj: dict[str, Any]) -> dict[str, Any]:
    return {
        "external_cart_id": str(obj["id"]),
        "customer_source_id": str(obj["customer_id"]),
        "currency_code": obj["currency"],
        "lines": [
            {
                "sku": li["sku"],
                "description": li.get("title", ""),
                "quantity": li["quantity"],
                "unit_price": li["price"],
            }
            for li in obj.get("line_items") or []
        ],
        "total": obj["total_price"],
        "abandoned_at": obj["abandoned_at"],
        "recovery_url": obj.get("recovery_url") or f"https://shop.example/checkouts/{obj['id']}/recover",
        "updated_at": obj["updated_at"],
    }


# The shop's marketing consent states: "subscribed" is an opt-in, "unsubscribed" an opt-out;
# "not_subscribed" (never asked) and "pending" (double opt-in not confirmed yet) say nothing.
_CONSENT_STATES = {"subscribed": "granted", "unsubscribed": "withdrawn"}


def _consent(obj: dict[str, Any], channel: str) -> dict[str, Any] | None:
    """The customer's {email,sms}_marketing_consent as a canonical consent statement, with the time
    the customer opted in or out (not when the customer object last changed)."""
    consent = obj.get(f"{channel}_marketing_consent") or {}
    status = _CONSENT_STATES.get(str(consent.get("state", "")))
    if status is None or not consent.get("consent_updated_at"):
        return None
    return {
        "channel": channel,
        "status": status,
        "given_at": consent["consent_updated_at"],
        "source": f"{channel}_marketing_consent"
        + (f" ({consent['opt_in_level']})" if consent.get("opt_in_level") else ""),
    }


def _order(obj: dict[str, Any], channel: str) -> dict[str, Any]:
    record: dict[str, Any] = {
        "external_order_id": str(obj["id"]),
        "customer_source_id": str(obj["customer_id"]),
        "channel": channel,
        "currency_code": obj["currency"],
        "lines": [
            {
                "line_id": str(i + 1),
                "sku": li["sku"],
                "description": li.get("title", ""),
                "quantity": li["quantity"],
                "unit_price": li["price"],
            }
            for i, li in enumerate(obj.get("line_items") or [])
        ],
        "placed_at": obj["created_at"],
        "updated_at": obj["updated_at"],
    }
    if obj.get("financial_status") == "paid":
        record["paid_at"] = obj.get("processed_at") or obj["created_at"]
        record["payment_reference"] = f"webshop:{obj['id']}"
    if obj.get("cancelled_at"):
        record["cancelled_at"] = obj["cancelled_at"]
        record["cancellation_reason"] = _CANCEL_REASONS.get(str(obj.get("cancel_reason")), "other")
    for shipped in (obj.get("fulfillments") or [])[:1]:
        record["shipped_at"] = shipped["created_at"]
        record["carrier"] = shipped.get("tracking_company") or ""
        record["tracking_number"] = shipped.get("tracking_number") or ""
        if shipped.get("shipment_status") == "delivered" and shipped.get("delivered_at"):
            record["delivered_at"] = shipped["delivered_at"]
    refunds = [r for r in obj.get("refunds") or [] if r.get("refund_line_items")]
    if refunds:
        record["returns"] = [
            {
                "return_id": str(r["id"]),
                "returned_at": r["created_at"],
                "lines": [
                    {
                        "line_id": str(x["line_item"]),
                        "quantity": x["quantity"],
                        "reason": _RETURN_REASONS.get(str(x.get("reason")), "other"),
                    }
                    for x in r["refund_line_items"]
                ],
            }
            for r in refunds
        ]
    return record


# The shop's refund line reasons, as the canonical return's.
_RETURN_REASONS = {
    "damaged": "damaged",
    "defective": "defective",
    "wrong_item": "wrong_item",
    "not_as_described": "not_as_described",
    "size_too_small": "size_or_fit",
    "size_too_large": "size_or_fit",
    "unwanted": "changed_mind",
}

# The shop's cancel_reason, as the canonical order's cancellation_reason.
_CANCEL_REASONS = {
    "customer": "customer_request",
    "fraud": "fraud_suspected",
    "inventory": "out_of_stock",
    "declined": "payment_failed",
}
