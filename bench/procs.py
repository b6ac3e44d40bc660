"""Components as ``isthmus`` processes, the way Kubernetes runs them: ``isthmus migrate`` first, then
one ``isthmus serve <component>`` process each, started fresh for a measured phase."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.request import urlopen

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from prometheus_client.parser import text_string_to_metric_families
from scratch import free_port

BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Served:
    name: str
    port: int
    metrics_port: int
    pid: int


def migrate(names: Sequence[str], env: Mapping[str, str]) -> None:
    done = subprocess.run(
        [BIN / "isthmus", "migrate", *names], env={**os.environ, **env}, capture_output=True, text=True
    )
    if done.returncode:
        sys.exit(f"isthmus migrate {' '.join(names)} failed:\n{done.stderr}")


def wait_serving(port: int, process: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline:
            if process.poll() is not None:
                sys.exit(f"a server on port {port} exited with {process.returncode}")
            try:
                reply = stub.Check(health_pb2.HealthCheckRequest(), timeout=1)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.RpcError:
                pass
            time.sleep(0.2)
    sys.exit(f"no server on port {port} after {timeout:.0f} s")


@contextmanager
def serving(names: Sequence[str], env: Mapping[str, str]) -> Iterator[dict[str, Served]]:
    """``isthmus serve <name>`` for each name (after ``isthmus migrate``), stopped on exit."""
    migrate(names, env)
    with ExitStack() as stack:
        started: dict[str, tuple[subprocess.Popen[bytes], int, int]] = {}
        for name in names:
            port, metrics_port = free_port(), free_port()
            own = {
                **os.environ,
                "ISTHMUS_GRPC_HOST": "127.0.0.1",
                "ISTHMUS_LOG_LEVEL": "WARNING",
                **env,
                "ISTHMUS_GRPC_PORT": str(port),
                "ISTHMUS_METRICS_PORT": str(metrics_port),
            }
            process = stack.enter_context(
                subprocess.Popen([BIN / "isthmus", "serve", name], env=own, stderr=subprocess.DEVNULL)
            )
            stack.callback(process.terminate)
            started[name] = (process, port, metrics_port)
        for process, port, _metrics in started.values():
            wait_serving(port, process)
        yield {n: Served(n, port, metrics, p.pid) for n, (p, port, metrics) in started.items()}


def samples(served: Served) -> list[tuple[str, dict[str, str], float]]:
    """Every sample on the process's metrics port: (name, labels, value)."""
    with urlopen(f"http://127.0.0.1:{served.metrics_port}/metrics", timeout=10) as response:
        text = response.read().decode()
    return [(s.name, s.labels, s.value) for f in text_string_to_metric_families(text) for s in f.samples]


def collections(served: Served) -> dict[str, tuple[float, float]]:
    """The process's cyclic garbage collections so far, by generation: (collections, objects
    collected), from prometheus-client's own gauges on its metrics port."""
    runs: dict[str, float] = {}
    freed: dict[str, float] = {}
    for name, labels, value in samples(served):
        if name == "python_gc_collections_total":
            runs[labels["generation"]] = value
        elif name == "python_gc_objects_collected_total":
            freed[labels["generation"]] = value
    return {g: (runs[g], freed.get(g, 0.0)) for g in sorted(runs)}


def matching_work(served: Served) -> tuple[float, ...]:
    """The customer master's matching work so far: (candidates scored, set aside, pairs scored,
    customers merged as bridged, households re-examined, those read again, records they moved,
    records they sent to a review)."""
    found = {(name, labels.get("fate", "")): value for name, labels, value in samples(served)}
    return (
        found.get(("isthmus_customers_match_candidates_total", "scored"), 0.0),
        found.get(("isthmus_customers_match_candidates_total", "set_aside"), 0.0),
        found.get(("isthmus_customers_match_pairs_scored_total", ""), 0.0),
        found.get(("isthmus_customers_bridged_merges_total", ""), 0.0),
        found.get(("isthmus_customers_households_total", "reexamined"), 0.0),
        found.get(("isthmus_customers_households_total", "read"), 0.0),
        found.get(("isthmus_customers_households_total", "moved"), 0.0),
        found.get(("isthmus_customers_households_total", "to_review"), 0.0),
    )


def matching_between(before: tuple[float, ...], after: tuple[float, ...], records: int) -> str:
    """``matching per record: 2.41 candidates scored (4.02 pairs), 1.10 set aside; per 1,000
    records: 3.1 customers merged as bridged, 12.0 households re-examined (0.8 read again), 0.4
    records moved, 0.1 to a review``."""
    scored, aside, pairs, merged, households, read, moved, review = (
        (a - b) / records for a, b in zip(after, before, strict=True)
    )
    return (
        f"matching per record: {scored:.2f} candidates scored ({pairs:.2f} pairs), {aside:.2f} set aside;"
        f" per 1,000 records: {merged * 1000:.1f} customers merged as bridged, {households * 1000:.1f}"
        f" households re-examined ({read * 1000:.1f} read again), {moved * 1000:.1f} records moved,"
        f" {review * 1000:.1f} to a review"
    )


def ingest_phases(served: Served) -> dict[tuple[str, str], float]:
    """The customer master's ingest time so far, by (phase, clock): seconds (``PhaseClock``)."""
    return {
        (labels["phase"], labels["clock"]): value
        for name, labels, value in samples(served)
        if name == "isthmus_customers_ingest_seconds_total"
    }


def phases_between(
    before: dict[tuple[str, str], float], after: dict[tuple[str, str], float], records: int
) -> str:
    """``ingest phases, ms per record (wall/main thread's CPU): read 0.012/0.010, decide ...``: where
    the server's time went between two readings; wall beyond CPU is waiting (for the database, mostly)."""
    ms = {k: (v - before.get(k, 0.0)) * 1000 / records for k, v in after.items()}
    phases = dict.fromkeys(p for p, _ in after)
    parts = [f"{p} {ms.get((p, 'wall'), 0.0):.3f}/{ms.get((p, 'cpu'), 0.0):.3f}" for p in phases]
    wall = sum(v for (_, c), v in ms.items() if c == "wall")
    cpu = sum(v for (_, c), v in ms.items() if c == "cpu")
    return (
        f"ingest phases, ms per record (wall/main thread's CPU): {', '.join(parts)}; "
        f"all {wall:.3f}/{cpu:.3f}, waiting {wall - cpu:.3f}"
    )


def collections_between(before: dict[str, tuple[float, float]], after: dict[str, tuple[float, float]]) -> str:
    """``gc young 10 (33,519 freed), middle 1, old 0``: the collections between two readings."""
    names = {"0": "young", "1": "middle", "2": "old"}
    parts = []
    for g, (runs, freed) in after.items():
        n, f = runs - before.get(g, (0.0, 0.0))[0], freed - before.get(g, (0.0, 0.0))[1]
        parts.append(f"{names.get(g, g)} {n:.0f}" + (f" ({f:,.0f} freed)" if g == "0" else ""))
    return "gc " + ", ".join(parts)
