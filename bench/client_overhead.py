"""CPU per call of the Python client (``aio_connect`` with a token and generated request ids) beside
a bare grpc.aio channel that sends the same metadata by hand.

A trivial PayOrder server runs in a child process; this process makes ``--calls`` calls, 32 at a
time, through each channel in alternating rounds and reads its own CPU time: the client's cost per
call, the server's excluded. ``--against DIR`` alternates with another checkout's client package
(``DIR/clients/python/src``, a git worktree of an earlier commit, say) in child processes, so both
see the same machine:

    .venv/bin/python bench/client_overhead.py [--calls 20000] [--rounds 3]
    git worktree add /tmp/before HEAD~1 && .venv/bin/python bench/client_overhead.py --against /tmp/before
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import sys
import time
from pathlib import Path

import grpc

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import in_checkout, load_average, print_medians

TOKEN = "bench-token-0123456789abcdef"


def _serve(port: int, ready: object) -> None:  # child process
    from isthmus_client.api.orders.v1 import order_pb2, orders_pb2, orders_pb2_grpc

    class Orders(orders_pb2_grpc.OrderServiceServicer):
        async def PayOrder(self, request, context):
            return orders_pb2.PayOrderResponse(order=order_pb2.Order(order_id=request.order_id))

    async def main() -> None:
        server = grpc.aio.server()
        orders_pb2_grpc.add_OrderServiceServicer_to_server(Orders(), server)
        server.add_insecure_port(f"127.0.0.1:{port}")
        await server.start()
        ready.set()  # type: ignore[attr-defined]
        await asyncio.Event().wait()

    asyncio.run(main())


async def _calls(kind: str, port: int, calls: int, concurrency: int) -> float:
    from isthmus_client import aio_connect
    from isthmus_client.api.orders.v1 import orders_pb2, orders_pb2_grpc

    request = orders_pb2.PayOrderRequest(order_id="o-1", payment_reference="p", expected_version=1)
    if kind == "bare":
        channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
        metadata: tuple[tuple[str, str], ...] | None = (("authorization", f"Bearer {TOKEN}"),)
        request.request_id = "r-1"
    else:
        channel = aio_connect(f"127.0.0.1:{port}", token=TOKEN)
        metadata = None
    stub = orders_pb2_grpc.OrderServiceStub(channel)
    await stub.PayOrder(request, metadata=metadata)  # the connection
    left = calls

    async def worker() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            await stub.PayOrder(request, metadata=metadata)

    started = time.process_time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    used = time.process_time() - started
    await channel.close()
    return used / calls * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--against", type=Path, help="another checkout, measured in alternation")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, port = args.child.split(":")
        print(json.dumps(asyncio.run(_calls(kind, int(port), args.calls, args.concurrency))))
        return

    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Event()
    port = 53000 + os.getpid() % 1000
    server = ctx.Process(target=_serve, args=(port, ready), daemon=True)
    server.start()
    if not ready.wait(30):
        raise SystemExit("the server did not start")
    trees: list[tuple[str, Path | None]] = [("this tree", None)]
    if args.against is not None:
        trees.append((str(args.against), args.against.resolve()))
    found: dict[str, list[float]] = {
        f"{label}: {kind}": [] for label, _ in trees for kind in ("bare", "client")
    }
    print(f"load average before: {load_average()}")
    try:
        for n in range(args.rounds):
            for label, tree in trees:
                for kind in ("bare", "client"):
                    command = [
                        sys.executable,
                        __file__,
                        "--child",
                        f"{kind}:{port}",
                        "--calls",
                        str(args.calls),
                    ]
                    command += ["--concurrency", str(args.concurrency)]
                    figure = in_checkout(tree, "clients/python/src", command)
                    found[f"{label}: {kind}"].append(figure)
                    print(
                        f"round {n + 1} {label}, {kind}: {figure:.1f} us of client CPU per call", flush=True
                    )
    finally:
        server.terminate()
    print(f"load average after: {load_average()}")
    print_medians(found, "us per call", digits=1)
    for label, _ in trees:
        ratio = statistics.median(found[f"{label}: client"]) / statistics.median(found[f"{label}: bare"])
        print(f"{label}: the client costs {ratio:.2f} times a bare channel per call")
    against = f" --against {args.against}" if args.against else ""
    print(
        f"reproduce: .venv/bin/python bench/client_overhead.py --calls {args.calls} --rounds {args.rounds}"
        f" --concurrency {args.concurrency}{against}"
    )


if __name__ == "__main__":
    main()
