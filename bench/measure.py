"""What a benchmark reads off the machine and the servers besides its own timings.

CPU: everything runs on one machine, so a figure per request is only half the story: the database,
the broker and the load generator share the cores with the service. ``Meter`` reads /proc before and
after a run and charges each named process tree (a server process, the run's private PostgreSQL and
RabbitMQ from ``servers``, the load generator) with exactly its own CPU; what the rest of the machine
did meanwhile is reported apart, as "other". Batches: how many commands a server's group commit
wrote together, from its /metrics.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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


def thread_cpu(pid: int) -> dict[str, tuple[float, float]]:
    """(user, system) CPU seconds of a process's threads so far, by thread name (threads of one name
    summed): where a process spends what a Python profiler cannot see (gRPC core's own threads, the
    kernel's work for a thread, waking it or handing it the interpreter's lock)."""
    out: dict[str, tuple[float, float]] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            name, fields = _stat(f"{pid}/task/{task.name}")
        except (FileNotFoundError, ProcessLookupError):
            continue  # the thread ended meanwhile
        user, system = out.get(name, (0.0, 0.0))
        out[name] = (user + int(fields[11]) / TICK, system + int(fields[12]) / TICK)
    return out


def _snapshot() -> tuple[dict[int, list[int]], dict[int, float]]:
    """Every process's children, and its CPU seconds including the children it has reaped."""
    children: dict[int, list[int]] = {}
    times: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            _name, fields = _stat(entry.name)
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue
        pid = int(entry.name)
        children.setdefault(int(fields[1]), []).append(pid)
        times[pid] = sum(int(x) for x in fields[11:15]) / TICK
    return children, times


def tree_cpu(roots: dict[str, int]) -> dict[str, float]:
    """CPU so far of each named process tree: every live process under its root, each with the
    children it has already reaped. A process that exits between two readings moves from "live" to
    its parent's reaped time, so the sum stays whole. A tree stops where another named root begins
    (the load generator's tree does not hold the servers it started)."""
    children, times = _snapshot()
    named = set(roots.values())
    out: dict[str, float] = {}
    for name, root in roots.items():
        total, stack = 0.0, [root]
        while stack:
            pid = stack.pop()
            total += times.get(pid, 0.0)
            stack.extend(c for c in children.get(pid, ()) if c not in named)
        out[name] = total
    return out


def machine_busy() -> float:
    """CPU seconds the whole machine spent busy (all cores), from /proc/stat."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return (user + nice + system + irq + softirq + steal) / TICK


@dataclass
class Meter:
    """CPU of named process trees between ``start()`` and ``stop()`` (a pid of 0 is skipped). Those
    named in ``apart`` (the bench's own instruments) are measured and shown, not charged to the run."""

    pids: dict[str, int]
    apart: tuple[str, ...] = ()
    before: dict[str, float] = field(default_factory=dict)
    used: dict[str, float] = field(default_factory=dict)

    def _read(self) -> dict[str, float]:
        values = tree_cpu({name: pid for name, pid in self.pids.items() if pid})
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

    def run_total(self) -> float:
        """CPU seconds of the run's own processes (the named trees, not "other")."""
        return sum(v for k, v in self.used.items() if k not in ("machine", "other", *self.apart))

    def per(self, count: int, unit: str = "ms") -> str:
        """``name 1.2 ms, ...`` per item for ``count`` items, the run's total, then the rest of the
        machine (which the run is not charged with)."""
        scale = 1000 if unit == "ms" else 1
        each = {k: v * scale / max(1, count) for k, v in self.used.items()}
        parts = [f"{k} {v:.3f}" for k, v in each.items() if k not in ("machine", "other", *self.apart)]
        run = self.run_total() * scale / max(1, count)
        apart = "".join(f"; not in the run: {k} {each[k]:.3f}" for k in self.apart)
        return (
            f"{', '.join(parts)}; run {run:.3f} {unit} (rest of the machine meanwhile {each['other']:.3f})"
            + apart
        )


def wait_idle(pid: int, *, window: float = 2.0, busy_share: float = 0.10, limit: float = 1800.0) -> float:
    """Wait until the process tree of ``pid`` uses less than ``busy_share`` of a core over ``window``
    seconds (a server still consuming the events of a load would charge that work to whatever is
    measured next); returns the seconds waited. Gives up after ``limit`` seconds."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        before = tree_cpu({"p": pid})["p"]
        time.sleep(window)
        if tree_cpu({"p": pid})["p"] - before < busy_share * window:
            break
    return time.monotonic() - started


def command_line() -> str:
    """This run's command: the bench's settings from the environment (``ISTHMUS_BENCH_*``: the
    database's settings and collation, profiling), the interpreter it ran on (another venv's is
    another build), its arguments."""
    settings = [f"{k}={v}" for k, v in sorted(os.environ.items()) if k.startswith("ISTHMUS_BENCH_") and v]
    return " ".join([*settings, os.path.relpath(sys.executable), *sys.argv])


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, as /proc/loadavg gives them."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def batch_sizes(metrics_port: int) -> dict[str, float]:
    """Mean commands per group-commit batch, by batch, from the server's /metrics."""
    text = urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5).read().decode()
    found: dict[str, dict[str, float]] = {}
    for match in re.finditer(r'^isthmus_batch_commands_(sum|count)\{batch="([^"]+)"\} (\S+)$', text, re.M):
        found.setdefault(match[2], {})[match[1]] = float(match[3])
    return {name: v["sum"] / v["count"] for name, v in found.items() if v.get("count")}


class Profiler:
    """py-spy profiles of named processes over a measured phase, when ``ISTHMUS_BENCH_PROFILE`` names
    a directory (py-spy from ``ISTHMUS_PYSPY`` or the PATH; ``pip install py-spy``; samples a second
    from ``ISTHMUS_BENCH_PROFILE_RATE``, default 50). Each process gets
    ``<dir>/<name>.txt``: collapsed stacks (``--format raw``) for ``bench/hot.py`` or a flame graph
    tool. Off by default: sampling costs the profiled process a few percent of its CPU."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.directory = os.environ.get("ISTHMUS_BENCH_PROFILE", "")
        self.pids = pids
        self.running: list[subprocess.Popen[bytes]] = []

    def start(self) -> None:
        if not self.directory:
            return
        spy = os.environ.get("ISTHMUS_PYSPY") or shutil.which("py-spy")
        if not spy:
            raise SystemExit("ISTHMUS_BENCH_PROFILE is set but py-spy is not found: set ISTHMUS_PYSPY")
        Path(self.directory).mkdir(parents=True, exist_ok=True)
        for name, pid in self.pids.items():
            out = Path(self.directory) / f"{name}.txt"
            rate = os.environ.get("ISTHMUS_BENCH_PROFILE_RATE", "50")
            command = [spy, "record", "--pid", str(pid), "--rate", rate, "--nonblocking", "--format", "raw"]
            quiet = subprocess.DEVNULL
            self.running.append(subprocess.Popen([*command, "-o", str(out)], stdout=quiet, stderr=quiet))

    def stop(self) -> None:
        for process in self.running:
            process.send_signal(signal.SIGINT)
        for process in self.running:
            process.wait(timeout=60)
        if self.running:
            print(f"profiles: {self.directory}/{{{','.join(self.pids)}}}.txt (summary: bench/hot.py FILE)")
        self.running = []


def in_checkout(tree: Path | None, packages: str, command: list[str]) -> Any:
    """Runs ``command``, a child measurement that prints JSON, with ``tree/packages`` first on the
    import path (``tree`` None: this checkout's code), and returns what it printed: how a bench's
    ``--against`` measures an earlier commit's code (a git worktree) in alternation with this one."""
    env = dict(os.environ)
    if tree is not None:
        env["PYTHONPATH"] = str(tree / packages)
    return json.loads(subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout)


def print_medians(found: dict[str, list[float]], unit: str, digits: int = 2) -> None:
    """One line per series: its median, then every value in the order measured."""
    for label, values in found.items():
        each = ", ".join(f"{v:.{digits}f}" for v in values)
        print(f"{label}: median {statistics.median(values):.{digits}f} {unit} ({each})")
