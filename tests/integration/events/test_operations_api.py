"""``isthmus.operations.v1.OperationsService``: dead letters and outbox of the components a process runs."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import grpc
import pytest

from isthmus.kernel.errors import InvalidArgument, NotFound
from isthmus.kernel.ids import is_uuid, new_uuid
from isthmus.platform import component as components
from isthmus.platform.component import Component, Runtime
from isthmus.platform.config import Client, Settings
from isthmus.platform.events import MIGRATIONS
from isthmus.platform.events.tables import dead_letters
from isthmus.platform.hub import running
from isthmus.platform.operations import Operations
from isthmus_client import aio_connect
from isthmus_client.api.events.v1 import orders_pb2
from isthmus_client.api.operations.v1 import operations_pb2 as ops
from isthmus_client.api.operations.v1.operations_pb2_grpc import OperationsServiceStub

from .test_dlq_cli import _dead_letter_two


def _operations(world) -> Operations:  # type: ignore[no-untyped-def]
    async def start(server: object, runtime: Runtime) -> None:
        return None

    served = Component(world.consumer, world.consumer, (), (MIGRATIONS,), start)
    runtime = Runtime(world.settings)
    runtime._engines[world.consumer] = world.consumer_engine  # the world's own engine and schema
    return Operations([served], runtime)


async def test_operations_page_dead_letters_replay_one_and_discard_the_other(world) -> None:
    bus = await _dead_letter_two(world)
    service = _operations(world)
    [status] = (await service.ListComponents(ops.ListComponentsRequest(), None)).components
    assert (status.name, status.dead_letter_count, status.replay_pending_count) == (world.consumer, 2, 0)
    assert status.outbox_backlog == 0 and not status.HasField("oldest_outbox_time")

    first = await service.ListDeadLetters(
        ops.ListDeadLettersRequest(component=world.consumer, page_size=1), None
    )
    assert first.next_page_token
    second = await service.ListDeadLetters(
        ops.ListDeadLettersRequest(component=world.consumer, page_size=1, page_token=first.next_page_token),
        None,
    )
    [a], [b] = first.dead_letters, second.dead_letters
    # Pages follow the order letters were stored in; two letters dead-lettered at once may mint
    # their UUIDv7s in the other order, so the ids are only required to be distinct.
    assert is_uuid(a.dead_letter_id) and is_uuid(b.dead_letter_id) and a.dead_letter_id != b.dead_letter_id
    assert (
        a.component == world.consumer and a.routing_key == "orders.OrderPaid" and "Traceback" in a.last_error
    )
    assert not second.next_page_token

    replayed = await service.ReplayDeadLetters(
        ops.ReplayDeadLettersRequest(component=world.consumer, dead_letter_ids=[a.dead_letter_id]), None
    )
    assert replayed.replay_requested_count == 1
    await bus.drain()
    assert [r.event_id for r in await world.effects()] == [a.event_id]

    discarded = await service.DiscardDeadLetters(
        ops.DiscardDeadLettersRequest(
            component=world.consumer, dead_letter_ids=[b.dead_letter_id, new_uuid()]
        ),
        None,
    )
    assert discarded.discarded_count == 1
    left = await service.ListDeadLetters(ops.ListDeadLettersRequest(component=world.consumer), None)
    assert list(left.dead_letters) == []


async def test_a_letter_the_previous_release_stored_without_an_id_is_listed_with_one(world) -> None:
    # During a rolling upgrade the previous release still stores letters without a dead_letter_id;
    # the list names them with the one generator, and they replay by that id like any other.
    async with world.consumer_engine.begin() as conn:
        await conn.execute(
            dead_letters.insert().values(
                consumer="isthmus.loyalty.points",
                event_id=str(uuid.uuid4()),
                routing_key="orders.OrderPaid",
                body=b"x",
                reason="stored by the previous release",
                attempts=5,
                dead_at=datetime.now(UTC),
            )
        )
    service = _operations(world)
    listing = ops.ListDeadLettersRequest(component=world.consumer)
    [letter] = (await service.ListDeadLetters(listing, None)).dead_letters
    assert is_uuid(letter.dead_letter_id) and letter.reason == "stored by the previous release"
    [again] = (await service.ListDeadLetters(listing, None)).dead_letters
    assert again.dead_letter_id == letter.dead_letter_id
    discard = ops.DiscardDeadLettersRequest(component=world.consumer, dead_letter_ids=[letter.dead_letter_id])
    assert (await service.DiscardDeadLetters(discard, None)).discarded_count == 1


async def test_operations_refuse_what_names_nothing_with_the_field_at_fault(world) -> None:
    service = _operations(world)
    with pytest.raises(InvalidArgument) as bad:
        await service.ReplayDeadLetters(ops.ReplayDeadLettersRequest(component=world.consumer), None)
    assert [f for f, _ in bad.value.violations] == ["dead_letter_ids"]
    with pytest.raises(InvalidArgument) as bad:
        await service.DiscardDeadLetters(
            ops.DiscardDeadLettersRequest(component=world.consumer, dead_letter_ids=[new_uuid(), "12"]), None
        )
    assert [f for f, _ in bad.value.violations] == ["dead_letter_ids[1]"]
    with pytest.raises(InvalidArgument) as bad:
        await service.ReplayDeadLetters(
            ops.ReplayDeadLettersRequest(component=world.consumer, dead_letter_ids=[new_uuid()], all=True),
            None,
        )
    assert [f for f, _ in bad.value.violations] == ["dead_letter_ids"]
    with pytest.raises(InvalidArgument) as bad:
        await service.ListDeadLetters(ops.ListDeadLettersRequest(), None)
    assert [f for f, _ in bad.value.violations] == ["component"]
    with pytest.raises(NotFound, match=f"serves: {world.consumer}"):
        await service.ListDeadLetters(ops.ListDeadLettersRequest(component="billing"), None)


async def test_outbox_backlog_and_its_age_are_reported(world) -> None:
    # Recorded, and no relay running: the events wait in the producer's outbox.
    await world.record((orders_pb2.OrderPaid(payment_reference="x"), "x"))
    served = Component(world.producer, world.producer, (), (MIGRATIONS,), _no_start)
    runtime = Runtime(world.settings)
    runtime._engines[world.producer] = world.producer_engine
    [status] = (
        await Operations([served], runtime).ListComponents(ops.ListComponentsRequest(), None)
    ).components
    assert status.outbox_backlog == 1 and status.HasField("oldest_outbox_time")
    assert status.outbox_age.seconds >= 0


async def _no_start(server: object, runtime: Runtime) -> None:
    return None


async def test_get_caller_tells_any_valid_token_its_scopes_and_refuses_others(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        grpc_host="127.0.0.1",
        grpc_port=0,
        metrics_port=0,
        clients=(Client("reader", "reader-token-0123456789", frozenset({"customers:read"})),),
    )
    async with running(settings, ["loyalty"]) as hub:
        target = f"127.0.0.1:{hub.port}"
        async with aio_connect(target, token="reader-token-0123456789") as channel:
            stub = OperationsServiceStub(channel)
            me = await stub.GetCaller(ops.GetCallerRequest())
            assert (me.name, list(me.scopes), me.authentication_disabled) == (
                "reader",
                ["customers:read"],
                False,
            )
            with pytest.raises(grpc.aio.AioRpcError) as denied:
                await stub.ListComponents(ops.ListComponentsRequest())
            assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
        async with aio_connect(target, token="nobody-has-this-token-000") as channel:
            with pytest.raises(grpc.aio.AioRpcError) as unknown:
                await OperationsServiceStub(channel).GetCaller(ops.GetCallerRequest())
            assert unknown.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_every_component_with_event_tables_is_served_by_the_operations_api() -> None:
    from isthmus.platform.operations import with_event_tables

    loaded = [components.load(n) for n in components.REGISTRY]
    assert {c.name for c in with_event_tables(loaded)} == set(components.REGISTRY)
