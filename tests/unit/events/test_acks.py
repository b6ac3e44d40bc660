"""A consuming channel's acks go together (``rabbit.Acks``): one frame for a batch, never covering a
delivery still held. The channel is a stand-in recording the frames pika would send."""

from __future__ import annotations

import asyncio
from typing import Any

from isthmus.platform.events.rabbit import Acks


class _Pika:
    def __init__(self) -> None:
        self.frames: list[tuple[str, int, bool]] = []
        self.is_open = True

    def basic_ack(self, tag: int, multiple: bool = False) -> None:
        self.frames.append(("ack", tag, multiple))

    def basic_nack(self, tag: int, requeue: bool = True) -> None:
        self.frames.append(("nack", tag, False))


class _Channel:
    def __init__(self) -> None:
        self.pika = _Pika()

    @property
    def is_open(self) -> bool:
        return self.pika.is_open


async def _turn() -> None:
    await asyncio.sleep(0)  # the flush runs on the loop's next turn


async def test_a_batch_settled_together_is_one_multiple_ack_that_stops_below_a_held_delivery() -> None:
    channel: Any = _Channel()
    acks = Acks(channel)
    for tag in range(1, 8):
        acks.received(tag)
    for tag in (1, 2, 4, 5):  # 3 is held for a retry; 6 and 7 not handled yet
        acks.ack(tag)
    assert channel.pika.frames == []  # nothing sent within the turn
    await _turn()
    assert channel.pika.frames == [("ack", 2, True), ("ack", 4, False), ("ack", 5, False)]

    channel.pika.frames.clear()
    acks.requeue(3)  # the retry gave it back
    assert channel.pika.frames == [("nack", 3, False)]
    acks.ack(7)
    acks.ack(6)
    await _turn()
    assert channel.pika.frames == [("nack", 3, False), ("ack", 7, True)]  # nothing below 7 is unsettled


async def test_a_closed_channel_sends_nothing_and_a_later_ack_names_only_its_own_tags() -> None:
    channel: Any = _Channel()
    acks = Acks(channel)
    for tag in (1, 2, 3):
        acks.received(tag)
    acks.ack(1)
    channel.pika.is_open = False
    await _turn()
    assert channel.pika.frames == []  # the broker redelivers them; the inbox knows them

    fresh: Any = _Channel()
    acks = Acks(fresh)  # a new channel numbers its deliveries from 1 again
    acks.received(1)
    acks.ack(1)
    await _turn()
    assert fresh.pika.frames == [("ack", 1, True)]
