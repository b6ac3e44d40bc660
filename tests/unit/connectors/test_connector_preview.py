"""``isthmus connectors preview``: an instance's first records as the hub would get them, or why each
would be dead-lettered, with nothing stored or delivered: a mapping tried before it is scheduled."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from isthmus_connector_files.simulator import BUYER_COLUMNS, MarketplaceDrops

from isthmus.cli import main


def instances(tmp_path: Path, sim: MarketplaceDrops) -> Path:
    path = tmp_path / "instances.json"
    path.write_text(json.dumps({"instances": [{"name": "mp", "connector": "files", "config": sim.config()}]}))
    return path


def test_preview_shows_the_first_records_and_stores_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sim = MarketplaceDrops(tmp_path, seed=3)
    file = instances(tmp_path, sim)
    data = tmp_path / "data"
    assert (
        main(["connectors", "--file", str(file), "--data-dir", str(data), "preview", "mp", "--limit", "2"])
        == 0
    )
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "mp/customers:"
    assert [json.loads(line)["source_id"] for line in out[1:3]] == ["K5001", "K5002"]
    assert out[3] == "mp/stock:"  # counted before the orders that take it
    assert "mp/orders:" in out and "mp/carts:" in out
    assert not data.exists(), "no state, no database"


def test_preview_names_every_dead_letter_and_a_failed_read_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sim = MarketplaceDrops(tmp_path, seed=1)
    sim.add_bad_record("orders")
    sim.csv("buyers", [c if c != "PLZ" else "Zip" for c in BUYER_COLUMNS], [sim.buyer("K9")])
    file = instances(tmp_path, sim)
    argv = ["connectors", "--file", str(file), "preview", "mp", "--stream", "orders", "--stream", "customers"]
    assert main([*argv, "--all", "--limit", "1"]) == 1
    out = capsys.readouterr().out
    assert (
        "  dead letter: orders_00007.csv:3: lines.*.quantity (column Menge): 'zwei' is not a whole number"
        in out
    )
    assert "  3 read, 2 as the hub would get them, 1 dead-lettered" in out
    assert "  the read failed: LayoutMismatch: buyers_00008.csv: no column 'PLZ'" in out
    assert main(["connectors", "--file", str(file), "preview", "nobody"]) == 2
