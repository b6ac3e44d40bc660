"""The hub's ids are UUIDv7: unique, in minting order, with the minting time, also across a fork."""

from __future__ import annotations

import os
import time
import uuid

from isthmus.kernel.ids import new_uuid


def test_ids_are_canonical_version_7_uuids_in_minting_order_and_do_not_repeat():
    before = time.time_ns() // 1_000_000
    ids = [new_uuid() for _ in range(20_000)]  # several refills of the buffer, many in one millisecond
    after = time.time_ns() // 1_000_000
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)
    for text in ids[:2000]:
        parsed = uuid.UUID(text)
        assert str(parsed) == text
        assert (parsed.version, parsed.variant) == (7, uuid.RFC_4122)
    # The first 48 bits are the minting time (a burst may borrow a few milliseconds ahead).
    minted = [uuid.UUID(t).int >> 80 for t in (ids[0], ids[-1])]
    assert before <= minted[0] <= minted[1] <= after + 20_000 // 4096 + 1


def test_a_forked_child_does_not_hand_out_the_parents_next_ids():
    new_uuid()  # the buffer holds unused bytes now
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(read)
        os.write(write, "\n".join(new_uuid() for _ in range(10)).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        child = set(pipe.read().split("\n"))
    os.waitpid(pid, 0)
    parent = {new_uuid() for _ in range(10)}
    assert len(child) == 10 and not child & parent
