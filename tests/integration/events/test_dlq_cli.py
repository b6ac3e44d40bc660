"""``isthmus dlq list`` / ``replay`` on a consumer's dead letters (both adapters)."""

from __future__ import annotations

import pytest
from cli_in_loop import run_cli

from isthmus.cli import main
from isthmus.kernel.ids import is_uuid
from isthmus.platform.events import Subscription, cli
from isthmus_client.api.events.v1 import orders_pb2


async def _dead_letter_two(world):  # type: ignore[no-untyped-def]
    world.failures["a"] = world.failures["b"] = world.options.max_attempts
    bus = world.bus()
    world.wire(bus, [Subscription("points", ["orders.OrderPaid"], world.recorder("points"))])
    await bus.start()
    await world.record((orders_pb2.OrderPaid(payment_reference="a"), "a"))
    await world.record((orders_pb2.OrderPaid(payment_reference="b"), "b"))
    await bus.drain()
    return bus


async def test_dlq_list_shows_reason_and_replay_by_id_redelivers_only_that_one(world) -> None:
    bus = await _dead_letter_two(world)
    schemas = {world.consumer: world.consumer}
    letters = await cli.list_dead_letters(world.settings, schemas)
    assert [d.routing_key for d in letters] == ["orders.OrderPaid", "orders.OrderPaid"]
    assert all("handler refuses" in d.reason and "Traceback" in (d.last_error or "") for d in letters)
    # Named by the UUIDv7 minted when each was stored (rule 8); listed in the order they were stored,
    # which for two letters dead-lettered at once need not be the order their ids were minted in.
    assert all(is_uuid(d.dead_letter_id) and d.component == world.consumer for d in letters)
    assert letters[0].dead_letter_id != letters[1].dead_letter_id

    assert await cli.replay(world.settings, schemas, [letters[0].dead_letter_id]) == 1
    await bus.drain()
    assert [r.event_id for r in await world.effects()] == [letters[0].event_id]
    [left] = await cli.list_dead_letters(world.settings, schemas)
    assert left.dead_letter_id == letters[1].dead_letter_id
    # COMPONENT:ID looks in that component only; an id of no letter there marks nothing.
    assert await cli.replay(world.settings, schemas, [f"{world.consumer}:{letters[0].dead_letter_id}"]) == 0

    assert await cli.replay(world.settings, schemas, None) == 1
    await bus.drain()
    assert sorted(r.aggregate_id for r in await world.effects()) == ["a", "b"]
    assert await cli.list_dead_letters(world.settings, schemas) == []


async def test_dlq_commands_print_dead_letters_and_refuse_malformed_ids(
    world, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    await _dead_letter_two(world)
    monkeypatch.setattr(cli, "component_schemas", lambda _names=None: {world.consumer: world.consumer})
    monkeypatch.setenv("ISTHMUS_DATA_DIR", str(world.settings.data_dir))
    if world.settings.database_url:
        monkeypatch.setenv("ISTHMUS_DATABASE_URL", world.settings.database_url)
    monkeypatch.setenv("ISTHMUS_LOG_FORMAT", "text")

    assert await run_cli(["dlq", "list"]) == 0
    out = capsys.readouterr().out
    letters = await cli.list_dead_letters(world.settings, {world.consumer: world.consumer})
    assert all(d.dead_letter_id in out for d in letters) and len(letters) == 2
    assert out.count(f" {world.consumer} ") == 2 and "handler failed 3 times" in out
    for malformed in ("nonsense", f"{world.consumer}:12"):  # row ids name nothing any more
        assert await run_cli(["dlq", "replay", "--id", malformed]) == 2
        assert "a UUID" in capsys.readouterr().err
    assert await run_cli(["dlq", "replay", "--id", letters[1].dead_letter_id]) == 0
    assert "replay requested for 1 dead letter(s)" in capsys.readouterr().out


async def test_dlq_replay_wait_follows_the_redelivery_until_done(
    world, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bus = await _dead_letter_two(world)
    monkeypatch.setattr(cli, "component_schemas", lambda _names=None: {world.consumer: world.consumer})
    monkeypatch.setenv("ISTHMUS_DATA_DIR", str(world.settings.data_dir))
    if world.settings.database_url:
        monkeypatch.setenv("ISTHMUS_DATABASE_URL", world.settings.database_url)
    monkeypatch.setenv("ISTHMUS_LOG_FORMAT", "text")
    world.failures.clear()  # the cause is fixed: the replays succeed

    assert await run_cli(["dlq", "replay", "--all", "--wait"]) == 0
    assert await cli.list_dead_letters(world.settings, {world.consumer: world.consumer}) == []
    assert sorted(r.aggregate_id for r in await world.effects()) == ["a", "b"]

    # With no consumer running, --wait gives up after its timeout and says why.
    await bus.stop()
    world.failures["c"] = world.options.max_attempts
    bus = world.bus()
    world.wire(bus, [Subscription("points", ["orders.OrderPaid"], world.recorder("points"))])
    await bus.start()
    await world.record((orders_pb2.OrderPaid(payment_reference="c"), "c"))
    await bus.drain()
    await bus.stop()
    capsys.readouterr()
    assert await run_cli(["dlq", "replay", "--all", "--wait", "--timeout", "1"]) == 1
    assert "still wait for their consumer" in capsys.readouterr().err


def test_dlq_without_a_verb_prints_its_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dlq"]) == 2
    assert "replay" in capsys.readouterr().out
