"""What every ``isthmus`` process sets up before it works: logs, build info and tracing."""

from __future__ import annotations

import atexit

from isthmus.platform import logs, metrics, tracing
from isthmus.platform.config import Settings


def start(settings: Settings, service: str, *, log_format: str | None = None) -> None:
    """Configure logging, label the build, and start tracing if the ``OTEL_*`` variables ask for it.

    ``service`` is the default OpenTelemetry ``service.name`` (``OTEL_SERVICE_NAME`` overrides it):
    ``isthmus-<component>`` for ``isthmus serve``, ``isthmus`` for ``isthmus up``, and the command's
    name for the others.
    """
    logs.configure(settings.log_level, log_format or settings.log_format)
    metrics.set_build_revision(settings.build_revision)
    if tracing.configure(service):
        # Spans still queued for export leave before the process ends.
        atexit.register(tracing.shutdown)
