"""Structured logs: one JSON object per line, carrying the correlation id of the work in hand and,
when tracing is on, the trace and span ids of the span in hand (so a log line leads to its trace)."""

from __future__ import annotations

import contextvars
import json
import logging
import sys
import uuid
from datetime import UTC, datetime

from opentelemetry import trace

correlation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("correlation_id", default=None)

_RESERVED = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


def new_correlation_id() -> str:
    return uuid.uuid4().hex


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


def configure(level: str = "INFO", fmt: str = "json") -> None:
    handler = logging.StreamHandler(sys.stderr)
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
