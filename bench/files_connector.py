"""What the ``files`` connector costs a record, and the memory a large file takes, against the floor of
reading the same file with ``csv.reader`` alone.

Two files of ``--rows`` rows are written as the simulated marketplace writes them (bench's people,
semicolons, Windows-1252): buyers (one row a record) and order lines (three rows an order, grouped by
the order number). Each case runs in a child process of its own, so its peak RSS is its own: the
floor (``csv.reader`` over the file, each row's cells touched), the connector reading the buyers, the
floor again, the connector reading the order lines, and the same lines shuffled (an order's lines no
longer together, so every order is held until the file's end); ``--rounds`` times, alternated. Each
prints its process CPU per row, its rows a second and its peak RSS (VmHWM); the connector's records
are counted, not kept, as the sync engine takes them in batches.

    .venv/bin/python bench/files_connector.py [--rows 200000] [--rounds 2]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import command_line, load_average
from people import make_person


def write_files(directory: Path, rows: int) -> dict[str, Any]:
    from isthmus_connector_files.simulator import BUYER_COLUMNS, ORDER_COLUMNS, MarketplaceDrops

    sim = MarketplaceDrops(directory, seed=0)
    rng = random.Random(7)
    buyers, lines = [], []
    for n in range(rows):
        p = make_person(rng, n)
        y, m, d = p.dob
        street = f"{p.street} {p.number}"
        more = {"born": f"{d:02d}.{m:02d}.{y}", "email": p.email, "phone": p.phone, "street": street,
                "zip": p.postcode, "city": p.city}  # fmt: skip
        buyers.append(sim.buyer(f"K{n}", p.given, p.family, **more))
        order = n // 3
        lines.append(sim.order_line(f"B{order}", f"K{order}", f"SKU-{n % 500}", str(1 + n % 4), "12,50"))
    sim.csv("buyers", BUYER_COLUMNS, buyers)
    sim.csv("orders", ORDER_COLUMNS, lines)
    rng.shuffle(lines)  # the same lines, an order's no longer together: held until the file's end
    sim.csv("orders", ORDER_COLUMNS, lines, name="shuffled_orders.csv")
    return sim.config()


CASES = (
    "floor buyers",
    "files buyers",
    "floor order lines",
    "files order lines",
    "files order lines shuffled",
)


def child(case: str, config_file: Path) -> None:
    config = json.loads(config_file.read_text())
    stream = "customers" if case.endswith("buyers") else "orders"
    if case.endswith("shuffled"):
        config["streams"]["orders"]["files"] = "shuffled_*.csv"
    inbox = Path(config["inbox"])
    path = next(inbox.glob(config["streams"][stream]["files"]))
    from isthmus_connector_files import FilesConnector

    from isthmus.connectors import Checkpoint, StreamState

    connector = FilesConnector(config)  # imports and the mapping's check are not the rows' cost
    start, cpu = time.perf_counter(), time.process_time()
    count = 0
    if case.startswith("floor"):
        with path.open(encoding="cp1252", newline="") as f:
            for row in csv.reader(f, delimiter=";"):
                count += sum(len(cell) for cell in row) >= 0
        count -= 1  # the header
    else:
        for item in connector.read(stream, StreamState()):
            count += not isinstance(item, Checkpoint)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - start
    # VmHWM, not getrusage's ru_maxrss: that one keeps the parent's peak across fork and exec.
    status = Path("/proc/self/status").read_text().splitlines()
    peak = int(next(line for line in status if line.startswith("VmHWM:")).split()[1]) / 1024
    print(json.dumps({"rows": count, "cpu": cpu, "wall": wall, "peak_mib": peak}))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--config", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.config)
        return
    print(f"command: {command_line()}")
    print(f"load average before: {load_average()}")
    with tempfile.TemporaryDirectory(prefix="isthmus-files-bench-") as tmp:
        config = write_files(Path(tmp), args.rows)
        config_file = Path(tmp) / "config.json"
        config_file.write_text(json.dumps(config))
        sizes = {p.name: p.stat().st_size for p in Path(config["inbox"]).glob("*.csv")}
        print(
            f"{args.rows:,} rows a file: "
            + ", ".join(f"{n} {s / 2**20:.1f} MiB" for n, s in sorted(sizes.items()))
        )
        floors: dict[str, list[float]] = {}
        for r in range(1, args.rounds + 1):
            for case in CASES:
                done = subprocess.run(
                    [sys.executable, __file__, "--child", case, "--config", str(config_file)],
                    capture_output=True, text=True, check=True,
                )  # fmt: skip
                m = json.loads(done.stdout.splitlines()[-1])
                rows = args.rows
                us = 1e6 * m["cpu"] / rows
                line = f"round {r}  {case:<26} {rows / m['wall']:>9,.0f} rows/s  CPU {us:6.2f} us a row"
                line += f"  peak RSS {m['peak_mib']:6.1f} MiB  ({m['rows']:,} records and dead letters)"
                what = case.split(" ", 1)[1].removesuffix(" shuffled")
                if case.startswith("floor"):
                    floors[what] = [us]
                else:
                    line += f"  {us / floors[what][0]:.1f} times the floor"
                print(line, flush=True)
    print(f"load average after: {load_average()}")
    print(f"reproduce: {command_line()}")


if __name__ == "__main__":
    main()
