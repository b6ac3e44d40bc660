"""The shop's webhooks: what a push holds, once its signature verifies.

The shop signs the raw body with the shared secret (``X-Shop-Signature: sha256=<hex>``), names what
changed (``X-Shop-Topic``) and gives every delivery an id (``X-Shop-Webhook-Id``) that stays the same
when it sends it again. Isthmus's webhook endpoint receives it (``POST /webhooks/<instance>``), keeps
it, and the next sync reads it beside the API's pages.
"""

from __future__ import annotations

import hashlib
import hmac
import json

from isthmus.connectors import Push, Pushed, PushRefused

# The shop's topics, as the streams whose objects they carry.
TOPICS = {
    "customers/create": "customers",
    "customers/update": "customers",
    "orders/create": "orders",
    "orders/updated": "orders",
    "orders/update": "orders",
    "orders/paid": "orders",
    "orders/cancelled": "orders",
    "orders/fulfilled": "orders",
    "checkouts/create": "carts",
    "checkouts/update": "carts",
}


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def parse(secret: str, push: Push) -> Pushed:
    """The object a signed delivery carries; ``PushRefused`` for one the shop did not sign with this
    secret, or that carries nothing the connector reads."""
    if not hmac.compare_digest(sign(secret, push.body), push.headers.get("x-shop-signature", "")):
        raise PushRefused(401, "the signature does not verify (X-Shop-Signature)")
    topic = push.headers.get("x-shop-topic", "")
    stream = TOPICS.get(topic)
    if stream is None:
        raise PushRefused(400, f"unknown topic {topic[:100]!r} (X-Shop-Topic)")
    try:
        payload = json.loads(push.body)
    except (ValueError, RecursionError):  # not JSON (or not UTF-8), or nested past any real object
        raise PushRefused(400, "the body is not JSON") from None
    if not isinstance(payload, dict):
        raise PushRefused(400, "the body is not a JSON object")
    return Pushed(stream, payload, push.headers.get("x-shop-webhook-id", ""))
