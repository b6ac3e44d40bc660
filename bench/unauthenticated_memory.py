"""Peak memory of ``isthmus serve orders`` under concurrent 15 MB CreateOrder calls.

The chart gives the orders process 384 MiB. Callers without a token are refused before their
request is read, so their messages never reach the process's memory; callers with a token whose
request is over the method's limit are read, then refused. Each kind of load runs against its own
fresh server process (so each peak is its own), alternating, and the script prints the peak
resident set size (VmHWM) of the server, the CPU per call of the server and of this load
generator, and the load average.

    .venv/bin/python bench/unauthenticated_memory.py [--calls 40] [--megabytes 15] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import grpc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from measure import Meter, load_average
from scratch import free_port

from isthmus_client.api.orders.v1 import orders_pb2

TOKEN = "bench-token-0123456789abcdef"
CHART_LIMIT_MIB = 384
METHOD = "/isthmus.orders.v1.OrderService/CreateOrder"


def _peak_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def _request(megabytes: int) -> bytes:
    """A CreateOrderRequest carrying ``megabytes`` in a field the method does not know."""
    payload = b"x" * (megabytes * 1024 * 1024)
    head = orders_pb2.CreateOrderRequest(customer_id="c-1", source_system="shop").SerializeToString()

    def varint(n: int) -> bytes:
        out = bytearray()
        while True:
            out.append((n & 0x7F) | (0x80 if n > 0x7F else 0))
            n >>= 7
            if not n:
                return bytes(out)

    return head + varint(99 << 3 | 2) + varint(len(payload)) + payload


async def _load(port: int, body: bytes, calls: int, rounds: int, token: str | None) -> dict[str, int]:
    codes: dict[str, int] = {}
    options = [("grpc.max_send_message_length", -1)]
    metadata = [("authorization", f"Bearer {token}")] if token else None
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}", options=options) as channel:
        call = channel.unary_unary(METHOD, request_serializer=None, response_deserializer=None)

        async def one() -> None:
            try:
                await call(body, metadata=metadata, timeout=120)
                name = "OK"
            except grpc.aio.AioRpcError as exc:
                name = exc.code().name
            codes[name] = codes.get(name, 0) + 1

        for _ in range(rounds):
            await asyncio.gather(*(one() for _ in range(calls)))
    return codes


def _serve(data_dir: Path, port: int, amqp_url: str, database_url: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "ISTHMUS_AMQP_URL": amqp_url,
        "ISTHMUS_DATABASE_URL": database_url,
        "ISTHMUS_DATA_DIR": str(data_dir),
        "ISTHMUS_GRPC_HOST": "127.0.0.1",
        "ISTHMUS_GRPC_PORT": str(port),
        "ISTHMUS_METRICS_PORT": "0",
        "ISTHMUS_LOG_LEVEL": "WARNING",
        "ISTHMUS_AUTH_TOKENS": json.dumps({"bench": {"token": TOKEN, "scopes": ["orders:*"]}}),
    }
    for name in ("ISTHMUS_AUTH_DISABLED",):
        env.pop(name, None)
    subprocess.run([sys.executable, "-m", "isthmus", "migrate", "orders"], env=env, check=True)
    process = subprocess.Popen([sys.executable, "-m", "isthmus", "serve", "orders"], env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return process
        time.sleep(0.2)
    process.kill()
    raise RuntimeError("isthmus serve orders did not start")


@contextlib.contextmanager
def _vhost(host: str) -> Iterator[str]:
    """A RabbitMQ vhost of the run's own (``isthmus serve`` needs a broker), deleted after."""
    name = f"isthmus-bench-{os.getpid()}"
    subprocess.run(["rabbitmqctl", "-q", "add_vhost", name], check=True, capture_output=True)
    subprocess.run(
        ["rabbitmqctl", "-q", "set_permissions", "-p", name, "guest", ".*", ".*", ".*"],
        check=True,
        capture_output=True,
    )
    try:
        yield f"amqp://guest:guest@{host}/{name}"
    finally:
        subprocess.run(["rabbitmqctl", "-q", "delete_vhost", name], capture_output=True)


@contextlib.contextmanager
def _database(admin_url: str) -> Iterator[str]:
    """A PostgreSQL database of the run's own (``isthmus serve`` needs one), dropped after."""
    import psycopg

    name = f"isthmus_bench_{os.getpid()}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{admin_url.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=40, help="concurrent calls per round")
    parser.add_argument("--megabytes", type=int, default=15, help="size of each request")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of concurrent calls per server")
    parser.add_argument("--repeat", type=int, default=2, help="servers per kind of load, alternated")
    parser.add_argument("--amqp-host", default="127.0.0.1:5672", help="RabbitMQ (guest/guest)")
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres", help="PostgreSQL")
    args = parser.parse_args()
    with _vhost(args.amqp_host) as amqp_url, _database(args.pg) as database_url:
        _run(args, amqp_url, database_url)


def _run(args: argparse.Namespace, amqp_url: str, database_url: str) -> None:
    body = _request(args.megabytes)
    kinds = {"no token": None, "token, over the limit": TOKEN}
    print(f"{args.calls} concurrent {args.megabytes} MB CreateOrder calls x {args.rounds} rounds per server")
    for repeat in range(args.repeat):
        for kind, token in kinds.items():
            with tempfile.TemporaryDirectory() as tmp:
                port = free_port()
                server = _serve(Path(tmp), port, amqp_url, database_url)
                try:
                    idle = _rss_mib(server.pid)
                    meter = Meter({"server": server.pid, "load": os.getpid()})
                    meter.start()
                    codes = asyncio.run(_load(port, body, args.calls, args.rounds, token))
                    meter.stop()
                    peak = _peak_mib(server.pid)
                finally:
                    server.terminate()
                    server.wait(30)
            verdict = "under" if peak < CHART_LIMIT_MIB else "OVER"
            print(
                f"[{repeat + 1}] {kind:>22}: peak RSS {peak:6.1f} MiB (idle {idle:.1f}; {verdict} the "
                f"chart's {CHART_LIMIT_MIB} MiB) answers {codes}; CPU per call: "
                f"{meter.per(args.calls * args.rounds)}; load average {load_average()}"
            )


if __name__ == "__main__":
    main()
