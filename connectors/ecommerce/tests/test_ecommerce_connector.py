import json
from pathlib import Path
from typing import Any

import pytest
from isthmus_connector_ecommerce import EcommerceConnector
from isthmus_connector_ecommerce.simulator import SECRET, ShopSimulator
from isthmus_connector_ecommerce.webhooks import sign

from isthmus.connectors import BadRecord, Push, Pushed, PushRefused, StreamState
from isthmus.connectors.testkit import connector_test_class

TestEcommerce = connector_test_class(EcommerceConnector, source=ShopSimulator)


def read_ids(shop: ShopSimulator, stream: str = "customers", state: StreamState | None = None) -> list[str]:
    connector = EcommerceConnector(shop.config())
    key = "source_id" if stream == "customers" else "external_order_id"
    return [r[key] for r in connector.read(stream, state or StreamState()) if isinstance(r, dict)]


def test_paging_through_rate_limits_reads_everything_once(tmp_path: Path) -> None:
    shop = ShopSimulator(tmp_path, seed=23, rate_limit_every=3)
    try:
        ids = read_ids(shop)
        assert sorted(ids, key=int) == [str(i) for i in range(1, 24)]
        assert shop.rate_limited > 0
    finally:
        shop.close()


def signed(topic: str, obj: Any, *, webhook_id: str = "wh-1", secret: str = SECRET) -> Push:
    return signed_raw(topic, json.dumps(obj).encode(), webhook_id=webhook_id, secret=secret)


def signed_raw(topic: str, body: bytes, *, webhook_id: str = "wh-1", secret: str = SECRET) -> Push:
    return Push(
        {"x-shop-topic": topic, "x-shop-webhook-id": webhook_id, "x-shop-signature": sign(secret, body)}, body
    )


def test_a_signed_webhook_is_received_as_the_object_of_its_stream(tmp_path: Path) -> None:
    shop = ShopSimulator(tmp_path, seed=0)
    try:
        connector = EcommerceConnector(shop.config())
        obj = {"id": 5, "first_name": "Ann", "updated_at": "2024-06-01T00:00:00+00:00"}
        assert connector.receive(signed("customers/update", obj)) == [Pushed("customers", obj, "wh-1")]
        order = {"id": 9, "updated_at": "2024-06-01T00:00:00+00:00"}
        assert connector.receive(signed("orders/cancelled", order))[0].stream == "orders"
    finally:
        shop.close()


@pytest.mark.parametrize(
    ("push", "status", "reason"),
    [
        (signed("customers/update", {"id": 900}, secret="guessed"), 401, "signature does not verify"),
        (Push({"x-shop-topic": "customers/update"}, b"{}"), 401, "signature does not verify"),
        (signed("products/update", {"id": 1}), 400, "unknown topic 'products/update'"),
        (signed("customers/update", [1, 2]), 400, "not a JSON object"),
        (signed_raw("customers/update", b"[" * 100_000), 400, "not JSON"),
        (signed_raw("customers/update", b"\xff\xfe{}"), 400, "not JSON"),
    ],
)
def test_a_webhook_the_shop_did_not_sign_or_that_carries_nothing_readable_is_refused(
    tmp_path: Path, push: Push, status: int, reason: str
) -> None:
    shop = ShopSimulator(tmp_path, seed=0)
    try:
        with pytest.raises(PushRefused, match=reason) as refused:
            EcommerceConnector(shop.config()).receive(push)
        assert refused.value.status == status
    finally:
        shop.close()


def test_an_instance_without_a_webhook_secret_takes_no_webhooks(tmp_path: Path) -> None:
    shop = ShopSimulator(tmp_path, seed=0)
    try:
        config = {k: v for k, v in shop.config().items() if k != "webhook_secret"}
        with pytest.raises(PushRefused, match="no webhook_secret") as refused:
            EcommerceConnector(config).receive(signed("customers/update", {"id": 1}))
        assert refused.value.status == 404
    finally:
        shop.close()


def test_pushed_objects_are_read_with_the_api_the_newest_of_each_once(tmp_path: Path) -> None:
    shop = ShopSimulator(tmp_path, seed=0)
    try:
        ann = shop.add_customer("Ann", "Lee", "ann@x.example")
        missed = shop.add_customer("Bo", "Ng", "bo@x.example")  # its webhook never arrived
        older = {**ann, "email": "old@x.example", "updated_at": "2000-01-01T00:00:00+00:00"}
        newer = {"id": 77, "first_name": "Cy", "email": "cy@x.example", "updated_at": "2099-07-01T00:00:00Z"}
        state = StreamState(pushed=(older, newer, {"first_name": "no id"}))
        records = list(EcommerceConnector(shop.config()).read("customers", state))
        bad = [r.reason for r in records if isinstance(r, BadRecord)]
        assert bad == ["customers object without id or updated_at"]
        read = [r for r in records if isinstance(r, dict)]
        # The API's newer Ann wins over the stale push; the push the API does not show yet is not lost.
        assert [r["source_id"] for r in read] == [str(ann["id"]), str(missed["id"]), "77"]
        assert read[0]["emails"][0]["address"] == "ann@x.example"
    finally:
        shop.close()


def test_a_pushed_object_the_mapping_cannot_read_is_dead_lettered_and_the_rest_go_on(tmp_path: Path) -> None:
    shop = ShopSimulator(tmp_path, seed=0)
    try:
        buyer = shop.add_customer("Ann", "Lee", "ann@x.example")
        good = shop.add_order(buyer["id"], [("MUG-1", "Mug", 1, "12.50")])
        broken = {"id": 901, "updated_at": "2099-01-01T00:00:00Z", "line_items": "not a list"}
        checkout = {
            "id": 902,
            "customer_id": buyer["id"],
            "updated_at": "2099-01-01T00:00:00Z",
        }  # not abandoned
        connector = EcommerceConnector(shop.config())
        orders = list(connector.read("orders", StreamState(pushed=(broken,))))
        assert [r["external_order_id"] for r in orders if isinstance(r, dict)] == [str(good["id"])]
        (bad,) = [r for r in orders if isinstance(r, BadRecord)]
        assert bad.key == "901" and bad.reason.startswith(
            "orders object not as the shop documents it: KeyError"
        )
        carts = list(connector.read("carts", StreamState(pushed=(checkout,))))
        assert "902" not in [r.get("external_cart_id") for r in carts if isinstance(r, dict)]
        assert not [r for r in carts if isinstance(r, BadRecord)]
    finally:
        shop.close()


def test_a_marketplace_shop_s_orders_come_by_its_channel(tmp_path: Path) -> None:
    shop = ShopSimulator(tmp_path, seed=0)
    try:
        buyer = shop.add_customer("Ann", "Lee", "ann@x.example")
        shop.add_order(buyer["id"], [("MUG-1", "Mug", 1, "12.50")])
        web = [
            r for r in EcommerceConnector(shop.config()).read("orders", StreamState()) if isinstance(r, dict)
        ]
        market = EcommerceConnector({**shop.config(), "order_channel": "marketplace"})
        orders = [r for r in market.read("orders", StreamState()) if isinstance(r, dict)]
        assert [r["channel"] for r in web] == ["web"] and [r["channel"] for r in orders] == ["marketplace"]
    finally:
        shop.close()
