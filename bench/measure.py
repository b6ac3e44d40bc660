"""What a benchmark reads off the machine and the servers besides its own timings.

CPU: everything runs on one machine, so a figure per request is only half the story: the database,
the broker and the load generator share the cores with the service. ``Meter`` reads /proc before and
after a run and splits the machine's busy time between them. Batches: how many commands a server's
group commit wrote together, from its /metrics.
"""

from __future__ import annotations

import os
import re
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int | str) -> tuple[str, list[str]]:
    raw = Path(f"/proc/{pid}/stat").read_text()
    name = raw[raw.index("(") + 1 : raw.rindex(")")]
    return name, raw.rsplit(")", 1)[1].split()


def cpu_seconds(pid: int, *, children: bool = False) -> float:
    """User + system CPU of a process so far; with ``children``, also of its reaped children."""
    _name, fields = _stat(pid)
    ticks = int(fields[11]) + int(fields[12])
    if children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / TICK


def _servers() -> dict[str, float]:
    """CPU seconds of PostgreSQL (every backend, and those that already exited) and RabbitMQ."""
    totals = {"postgres": 0.0, "rabbitmq": 0.0}
    procs: dict[str, tuple[str, list[str]]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                procs[entry.name] = _stat(entry.name)
            except (FileNotFoundError, ProcessLookupError, ValueError):
                continue
    for name, fields in procs.values():
        ticks = int(fields[11]) + int(fields[12])
        if name == "postgres":
            parent = procs.get(fields[1], ("", []))[0]
            if parent != "postgres":  # the postmaster: add the backends that have exited
                ticks += int(fields[13]) + int(fields[14])
            totals["postgres"] += ticks / TICK
        elif name in ("beam.smp", "erl_child_setup", "epmd", "inet_gethost"):
            totals["rabbitmq"] += ticks / TICK
    return totals


def machine_busy() -> float:
    """CPU seconds the whole machine spent busy (all cores), from /proc/stat."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return (user + nice + system + irq + softirq + steal) / TICK


@dataclass
class Meter:
    """CPU of named processes and of the servers between ``start()`` and ``stop()``."""

    pids: dict[str, int]
    before: dict[str, float] = field(default_factory=dict)
    used: dict[str, float] = field(default_factory=dict)

    def _read(self) -> dict[str, float]:
        values = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
        values.update(_servers())
        values["machine"] = machine_busy()
        return values

    def start(self) -> None:
        self.before = self._read()

    def stop(self) -> dict[str, float]:
        after = self._read()
        self.used = {name: after[name] - self.before[name] for name in after}
        named = sum(v for k, v in self.used.items() if k != "machine")
        self.used["other"] = max(0.0, self.used["machine"] - named)
        return self.used

    def per(self, count: int, unit: str = "ms") -> str:
        """``name 1.2 ms, ...`` per item for ``count`` items (the machine's total last)."""
        scale = 1000 if unit == "ms" else 1
        parts = [f"{k} {v * scale / max(1, count):.2f}" for k, v in self.used.items() if k != "machine"]
        total = self.used["machine"] * scale / max(1, count)
        return f"{', '.join(parts)}; machine {total:.2f} {unit}"


def batch_sizes(metrics_port: int) -> dict[str, float]:
    """Mean commands per group-commit batch, by batch, from the server's /metrics."""
    text = urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5).read().decode()
    found: dict[str, dict[str, float]] = {}
    for match in re.finditer(r'^isthmus_batch_commands_(sum|count)\{batch="([^"]+)"\} (\S+)$', text, re.M):
        found.setdefault(match[2], {})[match[1]] = float(match[3])
    return {name: v["sum"] / v["count"] for name, v in found.items() if v.get("count")}
