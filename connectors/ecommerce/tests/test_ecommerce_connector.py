from pathlib import Path

from isthmus_connector_ecommerce import EcommerceConnector
from isthmus_connector_ecommerce.simulator import ShopSimulator

from isthmus.connectors import StreamState
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


def test_webhook_with_a_bad_signature_is_rejected(tmp_path: Path) -> None:
    shop = ShopSimulator(tmp_path, seed=0)
    try:
        forged = {
            "id": 900,
            "first_name": "Eve",
            "email": "eve@x.example",
            "updated_at": "2024-06-01T00:00:00+00:00",
        }
        assert shop.send_webhook("customers/update", forged, secret="guessed") == 401
        assert "900" not in read_ids(shop)
    finally:
        shop.close()


def test_resent_webhook_is_delivered_once_and_missed_ones_are_backfilled(tmp_path: Path) -> None:
    shop = ShopSimulator(tmp_path, seed=0)
    try:
        pushed = shop.add_customer("Ann", "Lee", "ann@x.example")
        assert shop.send_webhook("customers/update", pushed, webhook_id="wh-1") == 200
        assert shop.send_webhook("customers/update", pushed, webhook_id="wh-1") == 200  # re-sent
        assert len((shop.inbox_dir / "customers.jsonl").read_text().splitlines()) == 1
        missed = shop.add_customer("Bo", "Ng", "bo@x.example")  # its webhook never arrives
        assert read_ids(shop) == [str(pushed["id"]), str(missed["id"])]
    finally:
        shop.close()


def test_webhook_for_a_change_the_api_does_not_show_yet_is_not_lost(tmp_path: Path) -> None:
    shop = ShopSimulator(tmp_path, seed=0)
    try:
        newer = {
            "id": 77,
            "first_name": "Cy",
            "email": "cy@x.example",
            "updated_at": "2024-07-01T00:00:00+00:00",
        }
        assert shop.send_webhook("customers/update", newer) == 200
        assert read_ids(shop) == ["77"]
    finally:
        shop.close()
