"""The service's own figures over time: cases opened by kind and channel, resolved by kind, script
runs ended by outcome, and SLA breaches (``rate()`` of them in Prometheus: complaint volume,
resolution rate, SLA compliance and their trends). Counted once per change written; a replayed
request counts nothing."""

from __future__ import annotations

from functools import cache

from prometheus_client import REGISTRY, CollectorRegistry, Counter


class CaseFigures:
    def __init__(self, registry: CollectorRegistry = REGISTRY) -> None:
        self.opened = Counter(
            "isthmus_service_requests_opened_total",
            "Cases opened, by kind and channel.",
            ["kind", "channel"],
            registry=registry,
        )
        self.resolved = Counter(
            "isthmus_service_requests_resolved_total",
            "Cases resolved (reopened ones each time they are resolved again), by kind.",
            ["kind"],
            registry=registry,
        )
        self.scripts_ended = Counter(
            "isthmus_service_requests_script_runs_total",
            "Runs of agent scripts that ended (rehearsals not counted), by outcome: completed or abandoned.",
            ["outcome"],
            registry=registry,
        )
        self.breached = Counter(
            "isthmus_service_requests_sla_breaches_total",
            "SLA targets missed (a response or a resolution due and not done), as the scan finds them.",
            registry=registry,
        )


@cache
def case_figures() -> CaseFigures:
    return CaseFigures()
