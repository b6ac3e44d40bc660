"""Every target's bench, one after another, each with the command docs/benchmarks.md quotes for it.

One command reruns the table "Where each target stands" on one commit in one sitting: each bench's
output goes to a file of its own, with the commit, the time and the load average before and after,
and the last lines of each (its summary) are printed at the end. The benches run one at a time (two
at once would share the cores and each would measure the other).

    .venv/bin/python bench/targets.py                       # all but the long backfill (about 45 min)
    .venv/bin/python bench/targets.py --only orders,ingest  # some of them
    .venv/bin/python bench/targets.py --with-backfill       # and the 1,000,000-record backfill (+25 min)
    .venv/bin/python bench/targets.py --list
    .venv-debian/bin/python bench/targets.py  # every bench on the interpreter of another venv

Outputs go to ``--out`` (default: a new directory under /tmp).
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import load_average

ROOT = Path(__file__).resolve().parents[1]

# (name, the targets it measures, the command after bench/): the commands docs/benchmarks.md quotes.
BENCHES: list[tuple[str, str, str]] = [
    (
        "orders",
        "orders created + paid >= 500/s, machine CPU <= 3 ms per order",
        "orders_loyalty.py --seconds 20 --concurrency 64 --customers 5000 --rounds 2",
    ),
    (
        "ingest",
        "customer ingest >= 1,000 records/s, server CPU <= 0.6 ms per record; GetCustomer p99 < 10 ms cold",
        "customer_ingest.py --rounds 4 --models builtin,learned",
    ),
    (
        "chassis",
        "chassis >= 85% of bare grpc.aio; tracing at 10% <= 15% over the chassis",
        "grpc_overhead.py --rounds 8 --seconds 3 --ratios 0,0.1",
    ),
    (
        "events",
        "event pipeline >= 30% of raw pika publish + consume",
        "event_pipeline.py --events 20000 --payload 1024 --rounds 3",
    ),
    (
        "consumption",
        "the hub consuming CustomerCreated (no target)",
        "event_consumption.py --events 10000 --rounds 2 --segments 0",
    ),
    ("connector", "connector layer overhead < 15%", "connector_sync.py --records 20000 --rounds 3"),
    (
        "service-requests",
        "service requests >= 500 writes/s; ListServiceRequests p99 < 20 ms",
        "service_requests.py --store 1000000 --heavy 50 --seconds 15 --concurrency 32 --rounds 2",
    ),
    ("memory", "unauthenticated memory under the chart's 384 MiB", "unauthenticated_memory.py"),
    ("console", "console queue, review and 360 pages p95 < 100 ms", "console_pages.py"),
    ("search", "SearchCustomers pages of 50, FULL and BASIC views (no target)", "search_pages.py --rounds 2"),
    ("scoring", "matcher CPU per pair (no target)", "match_scoring.py --people 4000 --rounds 3"),
    ("quality", "match quality: learned F1 >= 0.99, precision >= 0.995", "match_quality.py --no-ecm"),
]
BACKFILL = (
    "backfill",
    "1,000,000-record backfill: flat memory, no slice < 1,000 records/s",
    "customer_ingest.py --backfill 1000000 --anchor",
)


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", default="", help="comma-separated names (see --list)")
    parser.add_argument("--with-backfill", action="store_true", help="add the 1,000,000-record backfill")
    parser.add_argument("--out", type=Path, help="where each bench's output goes")
    parser.add_argument("--tail", type=int, default=14, help="lines of each output printed at the end")
    parser.add_argument("--list", action="store_true", help="print the benches and their commands")
    args = parser.parse_args()

    benches = BENCHES + ([BACKFILL] if args.with_backfill or "backfill" in args.only.split(",") else [])
    if args.only:
        wanted = set(args.only.split(","))
        unknown = wanted - {name for name, _, _ in [*BENCHES, BACKFILL]}
        if unknown:
            parser.error(f"--only: no bench named {', '.join(sorted(unknown))} (see --list)")
        benches = [b for b in benches if b[0] in wanted]
    # Each bench runs on the interpreter this script runs on (another venv's: another build of Python).
    python = sys.executable
    if args.list:
        for name, what, line in benches:
            print(f"{name:17} {what}\n{'':17} {os.path.relpath(python)} bench/{line}")
        return

    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
    out = args.out or Path(f"/tmp/isthmus-targets-{stamp}")
    out.mkdir(parents=True, exist_ok=True)
    dirty = " (with uncommitted changes)" if _git("status", "--porcelain", "--", "services", "bench") else ""
    header = (
        f"commit {_git('rev-parse', '--short', 'HEAD')}{dirty}; "
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()} ({python})"
    )
    print(f"{header}\noutputs: {out}", flush=True)
    done: list[tuple[str, Path]] = []
    for name, what, line in benches:
        script, *rest = line.split()
        command = [python, f"bench/{script}", *rest]
        began, load_before = datetime.now(UTC), load_average()
        print(f"\n== {name}: {what}", flush=True)
        print(f"   {began:%H:%M:%S} UTC, load {load_before}: {' '.join(command)}", flush=True)
        path = out / f"{name}.txt"
        start = time.monotonic()
        with path.open("w") as sink:
            sink.write(f"{header}\n{began:%Y-%m-%d %H:%M:%S} UTC, load before {load_before}\n")
            sink.write(f"command: {' '.join(command)}\n\n")
            sink.flush()
            code = subprocess.run(command, cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT).returncode
            ended = datetime.now(UTC)
            sink.write(f"\n{ended:%H:%M:%S} UTC, load after {load_average()}, exit status {code}\n")
        print(f"   {time.monotonic() - start:.0f} s, exit status {code}", flush=True)
        done.append((name, path))
    for name, path in done:
        lines = path.read_text().splitlines()
        print(f"\n== {name} ({path})")
        print("\n".join(lines[-args.tail :]))


if __name__ == "__main__":
    main()
