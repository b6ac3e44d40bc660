"""A campaign's call without I/O: started once, made when its run completes, tried again when one is
abandoned and given up after three, withdrawn only while it waits."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from isthmus.kernel.errors import FailedPrecondition
from isthmus.service_requests.calls import MAX_ATTEMPTS, Call, CallState
from isthmus.service_requests.domain import Actor, Channel, Direction
from isthmus.service_requests.scripts import Facts, Run, RunState

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


def call() -> Call:
    return Call("m1", "camp", "c1", "s1", NOW, NOW)


def run(state: RunState, reason: str = "") -> Run:
    r = Run("r1", "s1", "Thanks", 1, "c1", Facts(), Actor(), Channel.PHONE, Direction.OUTBOUND, NOW)
    r.state, r.abandon_reason = state, reason
    return r


def test_a_call_is_made_by_one_run_at_a_time() -> None:
    c = call()
    c.start("r1")
    with pytest.raises(FailedPrecondition, match="being made"):
        c.start("r2")
    assert c.ended(run(RunState.COMPLETED))
    assert (c.state, c.run_id) == (CallState.MADE, "r1")
    with pytest.raises(FailedPrecondition, match="is MADE"):
        c.start("r3")


def test_an_unanswered_call_is_tried_again_then_given_up() -> None:
    c = call()
    for attempt in range(1, MAX_ATTEMPTS + 1):
        c.start(f"r{attempt}")
        assert not c.ended(run(RunState.ABANDONED, "no answer"))
        assert (c.attempts, c.note) == (attempt, "no answer")
    assert c.state is CallState.GIVEN_UP


def test_only_a_waiting_call_is_withdrawn() -> None:
    waiting, on_the_line = call(), call()
    on_the_line.start("r1")
    assert waiting.withdraw("open complaint") and waiting.state is CallState.WITHDRAWN
    assert not on_the_line.withdraw("open complaint") and on_the_line.state is CallState.IN_PROGRESS


def test_an_assigned_call_is_started_by_its_agent_only() -> None:
    c = call()
    assert c.assign("kim") and not c.assign("kim")  # the same again changes nothing
    with pytest.raises(FailedPrecondition, match="assigned to agent 'kim'"):
        c.start("r1", "lena")
    c.start("r1", "kim")
    with pytest.raises(FailedPrecondition, match="is IN_PROGRESS"):
        c.assign("lena")
    free = call()
    free.start("r2", "anyone")  # a call assigned to none: any agent
    assert free.state is CallState.IN_PROGRESS
