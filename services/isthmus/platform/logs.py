"""Structured logs: one JSON object per line, carrying the correlation id of the work in hand and,
when tracing is on, the trace and span ids of the span in hand (so a log line leads to its trace)."""

from __future__ import annotations

import atexit
import contextvars
import json
import logging
import os
import random
import sys
import threading
from datetime import UTC, datetime

from opentelemetry import trace

correlation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("correlation_id", default=None)

_RESERVED = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


def new_correlation_id() -> str:
    """128 random bits as 32 hex digits, as a UUID's hex. A correlation id must be unique, not
    unguessable: random's generator (reseeded in a forked child) instead of the kernel's, which a
    system call per RPC made 2% of a trivial call's CPU."""
    return f"{random.getrandbits(128):032x}"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        cid = correlation_id.get()
        if cid:
            entry["correlation_id"] = cid
        span = trace.get_current_span().get_span_context()
        if span.is_valid:
            entry["trace_id"] = format(span.trace_id, "032x")
            entry["span_id"] = format(span.span_id, "016x")
        # Anything passed as ``extra=`` becomes a field of its own, so logs stay queryable.
        for key, value in record.__dict__.items():
            if key not in _RESERVED and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        cid = correlation_id.get()
        span = trace.get_current_span().get_span_context()
        if span.is_valid:
            line = f"{line} [trace={span.trace_id:032x}]"
        return f"{line} [cid={cid}]" if cid else line


_STREAM: list[object] = []  # where the handler writes: the real stderr once foreign output is captured


def configure(level: str = "INFO", fmt: str = "json") -> None:
    handler = logging.StreamHandler(_STREAM[0] if _STREAM else sys.stderr)  # type: ignore[arg-type]
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Their INFO lines are noise at our INFO level (connection chatter, per-statement logs).
    for noisy in ("pika", "alembic.runtime.migration", "aiosqlite", "asyncio"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
    # pika reports a lost connection as three ERROR lines; the event bus reports it once, as a
    # WARNING with the reason, and reconnects. Keep pika's lines, one level down, so that alerts on
    # ERROR fire for failures, not for a broker restart the bus rides out.
    handler.addFilter(_demote_pika_errors)


def _demote_pika_errors(record: logging.LogRecord) -> bool:
    if record.levelno == logging.ERROR and record.name.startswith("pika"):
        record.levelno, record.levelname = logging.WARNING, "WARNING"
    return True


# gRPC's C core writes to file descriptor 2 itself (TLS handshake failures carry the client's SNI,
# newlines and undecodable bytes included), and so does anything else below Python. The levels of
# its lines ("E1203 12:00:00.000 ..."), by their first letter.
_CORE_LEVELS = {"I": logging.INFO, "W": logging.WARNING, "E": logging.ERROR, "F": logging.CRITICAL}
MAX_FOREIGN_LINE = 8192


def capture_foreign_output() -> None:
    """Make every line written to this process's stdout and stderr one JSON log record.

    Both file descriptors are pointed at a pipe; a thread reads it and logs each line (bytes that
    are not UTF-8 escaped, at most MAX_FOREIGN_LINE characters) through the JSON handler, which
    itself writes to the original stderr. Call it once, after ``configure``, in a serving process.
    """
    if _STREAM:
        return
    real = os.fdopen(os.dup(2), "w", buffering=1, encoding="utf-8", errors="backslashreplace")
    _STREAM.append(real)
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(real)
    sys.stdout.flush()
    sys.stderr.flush()
    read, write = os.pipe()
    os.dup2(write, 1)
    os.dup2(write, 2)
    os.close(write)
    relay = threading.Thread(target=_relay, args=(read,), name="foreign-output", daemon=True)
    relay.start()

    def drain() -> None:
        # Lines still in the pipe at exit are relayed: closing its write ends lets the thread end.
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(real.fileno(), 1)
        os.dup2(real.fileno(), 2)
        relay.join(5)

    atexit.register(drain)


def _relay(fd: int) -> None:
    log = logging.getLogger("isthmus.stderr")
    with os.fdopen(fd, "rb") as pipe:
        for raw in pipe:
            line = raw.rstrip(b"\r\n").decode("utf-8", "backslashreplace")
            if not line.strip():
                continue
            level = logging.WARNING
            if len(line) > 1 and line[0] in _CORE_LEVELS and line[1:5].isdigit():
                level = _CORE_LEVELS[line[0]]
            text = line[:MAX_FOREIGN_LINE] + ("..." if len(line) > MAX_FOREIGN_LINE else "")
            log.log(level, "%s", text, extra={"foreign": True})
