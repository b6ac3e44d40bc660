"""Progress of long work, for every command that takes more than a moment.

On a terminal, one status line is redrawn in place: what is done, the rate, and (when the total is
known) the share done and an estimate of the time left. Anywhere else (a pod's log, CI, a pipe) the
same figures go out as one structured log line per interval, so a sync that runs for an hour says
how it is doing every half minute instead of nothing until the end::

    with Progress("sync erp/customers", unit="records") as progress:
        for batch in batches:
            deliver(batch)
            progress.advance(len(batch), accepted=ok, rejected=bad)

The figures are kept up to date by ``advance`` (cheap: additions only); a daemon thread writes them
out, so a job stuck on a slow call still reports, with its rate falling. See docs/operating.md.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from types import TracebackType
from typing import TextIO

log = logging.getLogger("isthmus.progress")

TERMINAL_REFRESH = 0.5  # seconds between redraws of the status line
LOG_INTERVAL = 30.0  # seconds between log lines when not on a terminal


class Progress:
    """Counts of a long job, reported while it runs and once when it ends.

    ``total`` (if known; settable later with :meth:`set_total`) gives the share done and an estimate.
    ``stream`` is where a terminal's status line goes (default stderr); when it is not a terminal,
    reports are log lines of the ``isthmus.progress`` logger at INFO with the figures as fields.
    ``interval`` overrides how often a report is written.
    """

    def __init__(
        self,
        what: str,
        *,
        total: int | None = None,
        unit: str = "items",
        stream: TextIO | None = None,
        interval: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.what = what
        self.unit = unit
        self.total = total
        self.done = 0
        self.counts: Counter[str] = Counter()
        self._stream = stream if stream is not None else sys.stderr
        self.terminal = _is_terminal(self._stream)
        self.interval = (
            interval if interval is not None else (TERMINAL_REFRESH if self.terminal else LOG_INTERVAL)
        )
        self._clock = clock
        self._started = clock()
        # The rate is measured over the last few reports: a job that slows down shows it.
        self._window: list[tuple[float, int]] = [(self._started, 0)]
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._line_width = 0
        self._reports = 0
        self._lock = threading.Lock()

    # -- what the job calls -------------------------------------------------------------------

    def advance(self, n: int = 1, **counts: int) -> None:
        """``n`` more units done; ``counts`` add to named tallies (e.g. ``accepted=5, rejected=1``)."""
        self.done += n
        if counts:
            self.counts.update(counts)

    def set_total(self, total: int | None) -> None:
        self.total = total

    def start(self) -> Progress:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=f"progress: {self.what}", daemon=True)
            self._thread.start()
        return self

    def close(self, failed: bool = False) -> None:
        """Stop reporting and write the final figures: always on a terminal, elsewhere only when the
        job was long enough to report while it ran (short jobs say what they did themselves)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self.terminal or self._reports:
            self._report(final=True, failed=failed)

    def __enter__(self) -> Progress:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close(failed=exc is not None)

    # -- figures ------------------------------------------------------------------------------

    def elapsed(self) -> float:
        return self._clock() - self._started

    def rate(self) -> float:
        """Units per second over the recent window (the whole run until there is a window)."""
        now, done = self._clock(), self.done
        first_time, first_done = self._window[0]
        span = now - first_time
        return (done - first_done) / span if span > 0 else 0.0

    def remaining(self) -> float | None:
        """Seconds left at the current rate, when the total is known and work is moving."""
        if self.total is None:
            return None
        rate = self.rate()
        left = max(0, self.total - self.done)
        if left == 0:
            return 0.0
        return left / rate if rate > 0 else None

    def figures(self) -> dict[str, object]:
        """What a report says, as fields: what, done, total, unit, rate, elapsed and eta seconds, tallies."""
        found: dict[str, object] = {
            "what": self.what,
            "done": self.done,
            "unit": self.unit,
            "rate_per_second": round(self.rate(), 1),
            "elapsed_seconds": round(self.elapsed(), 1),
        }
        if self.total is not None:
            found["total"] = self.total
        eta = self.remaining()
        if eta is not None:
            found["eta_seconds"] = round(eta, 1)
        found.update(self.counts)
        return found

    def line(self, final: bool = False) -> str:
        """The report for people: ``sync erp/customers: 12,000/20,000 records (60%), 810/s, ~10s left``."""
        done = f"{self.done:,}" + (f"/{self.total:,}" if self.total is not None else "")
        parts = [f"{done} {self.unit}"]
        if self.total:
            parts[0] += f" ({min(100, 100 * self.done // self.total)}%)"
        if final:
            overall = self.done / self.elapsed() if self.elapsed() > 0 else 0.0
            parts.append(f"in {_duration(self.elapsed())} ({overall:,.0f}/s)")
        else:
            parts.append(f"{self.rate():,.0f}/s")
            eta = self.remaining()
            if eta is not None:
                parts.append(f"~{_duration(eta)} left")
        parts += [f"{name} {value:,}" for name, value in self.counts.items()]
        return f"{self.what}: " + ", ".join(parts)

    # -- reporting ----------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._report()

    def _report(self, final: bool = False, failed: bool = False) -> None:
        with self._lock:
            self._reports += 1
            if not final:
                self._window = [*self._window[-5:], (self._clock(), self.done)]
            if self.terminal:
                text = self.line(final) + (" (stopped)" if failed else "")
                pad = max(0, self._line_width - len(text))
                self._line_width = len(text)
                self._stream.write("\r" + text + " " * pad + ("\n" if final else ""))
                self._stream.flush()
            else:
                status = "failed" if failed else "done" if final else "running"
                log.info(self.line(final), extra={"progress": {**self.figures(), "status": status}})


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f}s" if seconds >= 10 else f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"
