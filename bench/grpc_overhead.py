"""Throughput and latency of a chassis endpoint (every interceptor on) beside a bare grpc.aio server.

Both servers run the same trivial GetOrder handler in a child process; this process drives each
with the same concurrent client load, alternating rounds so drift hits both alike.

    .venv/bin/python bench/grpc_overhead.py [--seconds 5] [--rounds 5] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import platform
import statistics
import sys
import time

import grpc

from isthmus_client.api.orders.v1 import order_pb2, orders_pb2, orders_pb2_grpc

TOKEN = "bench-token-0123456789abcdef"


class Orders(orders_pb2_grpc.OrderServiceServicer):
    async def GetOrder(self, request, context):
        return order_pb2.Order(order_id=request.order_id)


def _serve(kind: str, port: int, ready) -> None:  # child process
    async def main() -> None:
        if kind == "bare":
            server = grpc.aio.server()
            orders_pb2_grpc.add_OrderServiceServicer_to_server(Orders(), server)
            server.add_insecure_port(f"127.0.0.1:{port}")
            await server.start()
        else:
            from isthmus.platform import logs
            from isthmus.platform.component import Component, Runtime
            from isthmus.platform.config import load
            from isthmus.platform.server import Server

            settings = load(
                {
                    "ISTHMUS_GRPC_HOST": "127.0.0.1",
                    "ISTHMUS_GRPC_PORT": str(port),
                    "ISTHMUS_AUTH_TOKENS": f'{{"bench": {{"token": "{TOKEN}", "scopes": ["orders:read"]}}}}',
                }
            )
            logs.configure("INFO", "json")

            async def start(server, runtime):
                orders_pb2_grpc.add_OrderServiceServicer_to_server(Orders(), server)

            component = Component("orders", "orders", ("isthmus.orders.v1.OrderService",), (), start)
            chassis = Server(settings, [component], Runtime(settings))
            await chassis.start()
        ready.set()
        await asyncio.Event().wait()

    asyncio.run(main())


async def _load(port: int, seconds: float, concurrency: int) -> tuple[int, list[float]]:
    latencies: list[float] = []
    metadata = (("authorization", f"Bearer {TOKEN}"),)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = orders_pb2_grpc.OrderServiceStub(channel)
        request = orders_pb2.GetOrderRequest(order_id="o-1")
        await stub.GetOrder(request, metadata=metadata)  # warm the connection
        stop_at = time.perf_counter() + seconds

        async def worker() -> None:
            while (start := time.perf_counter()) < stop_at:
                await stub.GetOrder(request, metadata=metadata)
                latencies.append(time.perf_counter() - start)

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    return int(len(latencies) / elapsed), latencies


def _percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()

    ctx = multiprocessing.get_context("spawn")
    results: dict[str, list[tuple[int, list[float]]]] = {"bare": [], "chassis": []}
    servers = {}
    for i, kind in enumerate(("bare", "chassis")):
        ready = ctx.Event()
        port = 52000 + os.getpid() % 1000 + i
        proc = ctx.Process(target=_serve, args=(kind, port, ready), daemon=True)
        proc.start()
        if not ready.wait(30):
            raise SystemExit(f"{kind} server did not start")
        servers[kind] = (proc, port)
    try:
        for _ in range(args.rounds):
            for kind in ("bare", "chassis"):
                results[kind].append(asyncio.run(_load(servers[kind][1], args.seconds, args.concurrency)))
    finally:
        for proc, _ in servers.values():
            proc.terminate()

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"grpcio {grpc.__version__}")  # fmt: skip
    summary = {}
    for kind, runs in results.items():
        rate = int(statistics.median(r for r, _ in runs))
        lat = [x for _, ls in runs for x in ls]
        summary[kind] = rate
        print(
            f"{kind:8s} {rate:7d} RPC/s   p50 {_percentile(lat, 50) * 1000:6.2f} ms   "
            f"p99 {_percentile(lat, 99) * 1000:6.2f} ms   ({args.rounds} rounds x {args.seconds:g} s, "
            f"{args.concurrency} in flight)"
        )
    ratio = summary["chassis"] / summary["bare"]
    print(f"chassis/bare throughput: {ratio:.1%} (target >= 80%)")
    print("reproduce: .venv/bin/python bench/grpc_overhead.py " + " ".join(sys.argv[1:]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
