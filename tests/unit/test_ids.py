"""Ids minted in bulk are proper random UUIDs, unique, also across a fork."""

from __future__ import annotations

import os
import uuid

from isthmus.platform.ids import new_uuid


def test_ids_are_canonical_version_4_uuids_and_do_not_repeat():
    ids = [new_uuid() for _ in range(20_000)]  # several refills of the buffer
    assert len(set(ids)) == len(ids)
    for text in ids[:2000]:
        parsed = uuid.UUID(text)
        assert str(parsed) == text
        assert (parsed.version, parsed.variant) == (4, uuid.RFC_4122)


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
