"""Progress of long commands: a redrawn line on a terminal, structured log lines elsewhere."""

from __future__ import annotations

import io
import logging

import pytest

from isthmus.platform.progress import Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_on_a_terminal_the_line_shows_counts_rate_share_and_time_left() -> None:
    clock, screen = Clock(), Terminal()
    progress = Progress("sync erp/customers", total=20_000, unit="records", stream=screen, clock=clock)
    clock.now += 10
    progress.advance(8_000, accepted=7_990, rejected=10)
    progress._report()
    assert screen.getvalue() == (
        "\rsync erp/customers: 8,000/20,000 records (40%), 800/s, ~15s left, accepted 7,990, rejected 10"
    )
    clock.now += 15
    progress.advance(12_000, accepted=12_000)
    progress.close()
    last = screen.getvalue().rsplit("\r", 1)[1]
    assert last.startswith("sync erp/customers: 20,000/20,000 records (100%), in 25s (800/s)")
    assert last.endswith("\n")


def test_elsewhere_each_interval_is_one_structured_log_line(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    progress = Progress("replay dead letters", unit="events", stream=io.StringIO(), clock=clock)
    assert not progress.terminal
    with caplog.at_level(logging.INFO, logger="isthmus.progress"):
        clock.now += 30
        progress.advance(300)
        progress._report()
        clock.now += 30
        progress.close()
    running, final = (r.__dict__["progress"] for r in caplog.records)
    assert running == {
        "what": "replay dead letters",
        "done": 300,
        "unit": "events",
        "rate_per_second": 10.0,
        "elapsed_seconds": 30.0,
        "status": "running",
    }
    assert final["status"] == "done" and final["done"] == 300 and final["elapsed_seconds"] == 60.0


def test_a_short_job_off_a_terminal_adds_no_line(caplog: pytest.LogCaptureFixture) -> None:
    with (
        caplog.at_level(logging.INFO, logger="isthmus.progress"),
        Progress("quick", stream=io.StringIO()) as p,
    ):
        p.advance(3)
    assert caplog.records == []


def test_the_rate_follows_a_job_that_slows_down() -> None:
    clock = Clock()
    progress = Progress("slow", total=1_000, stream=io.StringIO(), clock=clock)
    for _ in range(6):  # fast at first: 100 a second
        clock.now += 1
        progress.advance(100)
        progress._report()
    for _ in range(6):  # then stuck
        clock.now += 1
        progress._report()
    assert progress.rate() == 0.0
    assert progress.remaining() is None  # no estimate while nothing moves
    assert "~" not in progress.line()
