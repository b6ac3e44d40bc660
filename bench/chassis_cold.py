"""CPU per call of the chassis's per-call work around a handler, with the caches warm and cold.

In the server the chassis costs a call 30-40 us more than a bare grpc.aio handler, where its own
work timed in a tight loop is a few microseconds (docs/benchmarks.md, *gRPC chassis*). This runs
that work alone, outside gRPC: the handler lookup (``_Wrapped.service``, the token checked), the
request decoded and ``Chassis._unary`` around a trivial GetOrder handler, with a stand-in context;
beside it the bare handler, the request decoded and the handler awaited. Each call is timed in this
process's CPU time, warm (calls back to back) and cold (``--touch`` MB of memory written before each
call, as gRPC and the event loop touch theirs between two calls of a server). The difference is the
chassis's own cost per call, warm and cold.

``--against DIR[,DIR...]`` measures other checkouts' chassis (git worktrees: an earlier commit, or a
variant with a piece of the per-call work taken out) in alternating child processes:

    .venv/bin/python bench/chassis_cold.py [--calls 3000] [--touch 8] [--rounds 3]
    .venv/bin/python bench/chassis_cold.py --against /tmp/variant-a,/tmp/variant-b
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import namedtuple
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import in_checkout, load_average, print_medians

TOKEN = "bench-token-0123456789abcdef"
METHOD = "/isthmus.orders.v1.OrderService/GetOrder"
_Details = namedtuple("_Details", "method invocation_metadata")  # grpc.HandlerCallDetails's fields


def measure(calls: int, touch_mb: int) -> dict[str, float]:
    from isthmus.platform.auth import Authenticator
    from isthmus.platform.config import load
    from isthmus.platform.interceptors import Chassis, Registrar
    from isthmus.platform.metrics import RpcMetrics
    from isthmus_client.api.orders.v1 import order_pb2, orders_pb2, orders_pb2_grpc

    class Orders(orders_pb2_grpc.OrderServiceServicer):
        async def GetOrder(self, request: Any, context: Any) -> Any:
            return orders_pb2.GetOrderResponse(order=order_pb2.Order(order_id=request.order_id))

    class Server:  # what generated code registers servicers on; only the generic handlers are kept
        def __init__(self) -> None:
            self.handlers: list[Any] = []

        def add_generic_rpc_handlers(self, handlers: Any) -> None:
            self.handlers.extend(handlers)

        def add_registered_method_handlers(self, service: str, handlers: Any) -> None:
            pass

    metadata = (("authorization", f"Bearer {TOKEN}"), ("user-agent", "grpc-python-asyncio"))

    class Context:  # the part of grpc.aio's ServicerContext the chassis calls
        def invocation_metadata(self) -> Any:
            return metadata

        def set_trailing_metadata(self, value: Any) -> None:
            pass

        def code(self) -> Any:
            return None

    settings = load(
        {"ISTHMUS_AUTH_TOKENS": json.dumps({"bench": {"token": TOKEN, "scopes": ["orders:read"]}})}
    )
    server = Server()
    orders_pb2_grpc.add_OrderServiceServicer_to_server(
        Orders(),
        Registrar(server, Chassis(RpcMetrics(), Authenticator(settings.clients))),
    )
    (generic,) = server.handlers
    details = _Details(METHOD, metadata)
    raw = orders_pb2.GetOrderRequest(order_id="o-1").SerializeToString()
    context = Context()
    bare = Orders().GetOrder
    junk = bytearray(touch_mb * 1024 * 1024)
    line = b"\x01" * (len(junk) // 64)

    async def chassis_call() -> None:
        handler = generic.service(details)
        await handler.unary_unary(handler.request_deserializer(raw), context)

    async def bare_call() -> None:
        await bare(orders_pb2.GetOrderRequest.FromString(raw), context)

    async def timed(call: Any, cold: bool) -> float:
        spent = 0.0
        for _ in range(calls):
            if cold:
                junk[::64] = line  # a byte of every cache line of ``touch_mb`` MB
            started = time.process_time()
            await call()
            spent += time.process_time() - started
        return spent / calls * 1e6

    async def run() -> dict[str, float]:
        await timed(chassis_call, False)  # first calls: imports, caches of the lookup
        out = {}
        for state in ("warm", "cold"):
            out[f"chassis {state}"] = await timed(chassis_call, state == "cold")
            out[f"bare {state}"] = await timed(bare_call, state == "cold")
        return out

    return asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=3000, help="calls timed per series")
    parser.add_argument("--touch", type=int, default=8, help="MB written before each cold call")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--against", default="", help="other checkouts, comma-separated")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.calls, args.touch)))
        return

    trees: list[tuple[str, Path | None]] = [("this tree", None)]
    trees += [(d, Path(d).resolve()) for d in args.against.split(",") if d]
    found: dict[str, list[float]] = {f"{label}, {s}": [] for label, _ in trees for s in ("warm", "cold")}
    command = [sys.executable, __file__, "--child", "--calls", str(args.calls), "--touch", str(args.touch)]
    print(f"load average before: {load_average()}")
    for n in range(args.rounds):
        for label, tree in trees:
            got = in_checkout(tree, "services", command)
            for state in ("warm", "cold"):
                found[f"{label}, {state}"].append(got[f"chassis {state}"] - got[f"bare {state}"])
            print(
                f"round {n + 1} {label}: CPU per call, chassis {got['chassis warm']:.2f} us warm, "
                f"{got['chassis cold']:.2f} cold; bare handler {got['bare warm']:.2f} warm, "
                f"{got['bare cold']:.2f} cold ({args.touch} MB touched before each cold call)"
            )
    print(f"load average after: {load_average()}")
    print_medians(found, "us per call the chassis adds")
    against = f" --against {args.against}" if args.against else ""
    print(
        f"reproduce: .venv/bin/python bench/chassis_cold.py --calls {args.calls} --touch {args.touch} "
        f"--rounds {args.rounds}{against}"
    )


if __name__ == "__main__":
    main()
