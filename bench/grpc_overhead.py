"""Throughput and latency of a chassis endpoint beside a bare grpc.aio server, and with tracing on.

The servers run the same trivial GetOrder handler, each in a child process: a bare grpc.aio server,
the chassis (auth, metrics, errors, logs), and the chassis with tracing on at each sampling ratio
asked for (default: the shipped default of 10% of new traces, and every trace), exporting its spans
over OTLP/gRPC to a collector stand-in in another process (it only counts what it receives). This
process drives each with the same concurrent client load, in rounds that go through the servers
in one order and then in the reverse one (a drift of the machine's speed during a round weighs on
the first servers of one round and the last of the next, so on none more than another), and reads
each server's CPU from /proc to give the CPU per call. The overhead of tracing is judged on server
CPU per call, which a loaded machine moves far less than throughput. Each server process sets its
garbage collector as ``isthmus serve`` does (``collector.tune_gc``) once started.

Each comparison (the chassis's throughput over bare, a traced server's CPU per call over the
chassis's) is also made round by round, between servers measured next to each other: the median of
those ratios and their range are printed beside the totals. A traced server's exporter sends its
spans every 5 s, often while another server has the load: the tracing overhead is also given from
each process's CPU over the whole run (every export charged to it; an idle server's own wake-ups,
measured before the first round, taken off).

    .venv/bin/python bench/grpc_overhead.py [--seconds 5] [--rounds 5] [--concurrency 32] [--ratios 0.1,1.0]
    .venv/bin/python bench/grpc_overhead.py --rate 3000   # CPU per call below saturation

By default each server takes all the load it can: its CPU per call then includes gRPC's fixed costs
(its poller's wake-ups) spread over as many calls as it batches, fewer as each call costs more, so a
dearer call is dearer still. ``--rate`` offers every server the same calls a second, below what any
of them can take: the CPU per call is then the code's own (the throughput ratios mean nothing).

``--pieces`` adds a bare server with the chassis's server options and concurrency limit, one whose
handler sits in a wrapper doing part of the chassis's per-call work (metadata read, trailing
correlation id, status code read, Prometheus counts), and the chassis with authentication off (its
methods found by name, not through the generic handler that checks the token before the request is
read): where the chassis's cost lies. ``--against DIR[,DIR...]``
adds the chassis of other checkouts (git worktrees of an earlier commit, or of variants of the
chassis), in the same alternation.

With ``ISTHMUS_BENCH_PROFILE=DIR`` (``bench/measure.py: Profiler``) each server's last round is also
profiled with py-spy; ``bench/hot.py FILE --match TEXT --unit-us N``, with N the server's CPU per
call, says how much of a call goes through a function (``ServerSpans.`` for tracing's part).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import multiprocessing
import os
import platform
import statistics
import sys
import time

import grpc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from measure import Profiler, cpu_seconds, thread_cpu

from isthmus_client.api.orders.v1 import order_pb2, orders_pb2, orders_pb2_grpc

TOKEN = "bench-token-0123456789abcdef"


class Orders(orders_pb2_grpc.OrderServiceServicer):
    async def GetOrder(self, request, context):
        return orders_pb2.GetOrderResponse(order=order_pb2.Order(order_id=request.order_id))


def _collector(port: int, ready, received) -> None:  # child process: an OTLP endpoint that counts spans
    from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc

    class Sink(trace_service_pb2_grpc.TraceServiceServicer):
        async def Export(self, request, context):
            with received.get_lock():
                received.value += sum(len(s.spans) for r in request.resource_spans for s in r.scope_spans)
            return trace_service_pb2.ExportTraceServiceResponse()

    async def main() -> None:
        server = grpc.aio.server()
        trace_service_pb2_grpc.add_TraceServiceServicer_to_server(Sink(), server)
        server.add_insecure_port(f"127.0.0.1:{port}")
        await server.start()
        ready.set()
        await asyncio.Event().wait()

    asyncio.run(main())


def _wrapped(servicer: Orders) -> Orders:
    """The handler inside a wrapper doing some of what the chassis does per call: read the metadata,
    set the trailing correlation id, read the status code, count in Prometheus."""
    from prometheus_client import Counter, Histogram

    started = Counter("bench_started", "calls", ["m"]).labels("GetOrder")
    handled = Counter("bench_handled", "calls", ["m"]).labels("GetOrder")
    latency = Histogram("bench_seconds", "latency", ["m"]).labels("GetOrder")
    inner = servicer.GetOrder

    async def GetOrder(request, context):
        started.inc()
        began = time.perf_counter()
        for _key, _value in context.invocation_metadata() or ():
            pass
        context.set_trailing_metadata((("x-correlation-id", "0123456789abcdef"),))
        response = await inner(request, context)
        context.code()
        handled.inc()
        latency.observe(time.perf_counter() - began)
        return response

    servicer.GetOrder = GetOrder  # type: ignore[method-assign]
    return servicer


def _tune_gc() -> None:
    """Every server's collector set as ``isthmus serve`` sets it once started (the bare ones too, so
    that the comparison is of the code per call, not of two collector settings)."""
    try:
        from isthmus.platform.collector import tune_gc
    except ImportError:  # a checkout from before it (``--against``): the collector's defaults
        return
    tune_gc()


def _serve(kind: str, port: int, ready, collector_port: int) -> None:  # child process
    if kind.startswith("chassis @"):
        sys.path.insert(0, os.path.join(kind.split("@", 1)[1], "services"))

    async def main() -> None:
        if kind.startswith("bare"):
            servicer = Orders()
            if kind == "bare + options":
                from isthmus.platform.server import MAX_CONCURRENT_RPCS, receive_limit, server_options

                options = server_options(receive_limit(["isthmus.orders.v1.OrderService"]))
                server = grpc.aio.server(options=options, maximum_concurrent_rpcs=MAX_CONCURRENT_RPCS)
            else:
                server = grpc.aio.server()
            if kind == "bare + wrapper":
                servicer = _wrapped(servicer)
            orders_pb2_grpc.add_OrderServiceServicer_to_server(servicer, server)
            server.add_insecure_port(f"127.0.0.1:{port}")
            await server.start()
        else:
            from isthmus.platform import logs, tracing
            from isthmus.platform.component import Component, Runtime
            from isthmus.platform.config import load
            from isthmus.platform.server import Server

            environ = {"ISTHMUS_GRPC_HOST": "127.0.0.1", "ISTHMUS_GRPC_PORT": str(port)}
            if kind == "chassis, auth off":
                environ["ISTHMUS_AUTH_DISABLED"] = "true"
            else:
                environ["ISTHMUS_AUTH_TOKENS"] = (
                    f'{{"bench": {{"token": "{TOKEN}", "scopes": ["orders:read"]}}}}'
                )
            settings = load(environ)
            logs.configure("INFO", "json")
            if kind.startswith("traced"):
                ratio = float(kind.split()[1].rstrip("%")) / 100
                # Every call is sampled: no caller sends a traceparent, so each is a new root trace.
                otel = {
                    "OTEL_TRACES_EXPORTER": "otlp",
                    "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{collector_port}",
                }
                os.environ.update(otel)
                os.environ.update(
                    OTEL_TRACES_SAMPLER="parentbased_traceidratio", OTEL_TRACES_SAMPLER_ARG=str(ratio)
                )
                assert tracing.configure("bench")

            async def start(server, runtime):
                orders_pb2_grpc.add_OrderServiceServicer_to_server(Orders(), server)

            component = Component("orders", "orders", ("isthmus.orders.v1.OrderService",), (), start)
            chassis = Server(settings, [component], Runtime(settings))
            await chassis.start()
        _tune_gc()
        ready.set()
        await asyncio.Event().wait()

    asyncio.run(main())


async def _load(port: int, seconds: float, concurrency: int, rate: float = 0.0) -> tuple[int, list[float]]:
    """Calls for ``seconds`` from ``concurrency`` workers, each as fast as it can or, with ``rate``,
    all of them together at most ``rate`` calls a second (each call started at its slot)."""
    latencies: list[float] = []
    metadata = (("authorization", f"Bearer {TOKEN}"),)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = orders_pb2_grpc.OrderServiceStub(channel)
        request = orders_pb2.GetOrderRequest(order_id="o-1")
        await stub.GetOrder(request, metadata=metadata)  # warm the connection
        began_at = time.perf_counter()
        stop_at = began_at + seconds
        slots = itertools.count()  # each call's slot: the calls a second are ``rate``

        async def worker() -> None:
            while (start := time.perf_counter()) < stop_at:
                if rate:
                    due = began_at + next(slots) / rate
                    if due > start:
                        await asyncio.sleep(due - start)
                        start = time.perf_counter()
                await stub.GetOrder(request, metadata=metadata)
                latencies.append(time.perf_counter() - start)

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    return int(len(latencies) / elapsed), latencies


def _file_name(kind: str) -> str:
    """A server's name as a profile's file name: "traced 10%" -> "traced-10pc"."""
    return "".join(c if c.isalnum() else "-" for c in kind.replace("%", "pc")).strip("-")


def _spread(values: list[float], spec: str) -> str:
    """A ratio measured round by round: its median and its range."""
    low, high = min(values), max(values)
    return f"median {statistics.median(values):{spec}} ({low:{spec}} to {high:{spec}}, {len(values)} rounds)"


def _percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument(
        "--rate",
        type=float,
        default=0.0,
        help="calls a second in all (default: as many as the server takes). Below what a server "
        "can take, its CPU per call is the code's, not the code's plus gRPC's fixed costs spread "
        "over fewer calls per wake-up, as when the load saturates it",
    )
    parser.add_argument(
        "--ratios",
        default="0.1,1.0",
        help="sampling ratios of the traced servers, comma-separated (default: the shipped 0.1, and all)",
    )
    parser.add_argument(
        "--pieces",
        action="store_true",
        help="also a bare server with the chassis's server options, one with a wrapper doing part "
        "of the chassis's per-call work, and the chassis with authentication off",
    )
    parser.add_argument(
        "--against",
        help="also the chassis of other checkouts (git worktrees), comma-separated: variants of the "
        "chassis measured in the same alternation",
    )
    args = parser.parse_args()
    ratios = [float(r) for r in args.ratios.split(",") if r]
    kinds = ("bare", "chassis", *(f"traced {r:.0%}" for r in ratios))
    if args.pieces:
        kinds += ("bare + options", "bare + wrapper", "chassis, auth off")
    if args.against:
        kinds += tuple(f"chassis @{os.path.abspath(d)}" for d in args.against.split(",") if d)
    if len(kinds) > 7:
        raise SystemExit("at most 7 servers at once: fewer --ratios with --pieces and --against")

    ctx = multiprocessing.get_context("spawn")
    results: dict[str, list[tuple[int, list[float]]]] = {kind: [] for kind in kinds}
    cpu: dict[str, float] = dict.fromkeys(kinds, 0.0)
    calls: dict[str, int] = dict.fromkeys(kinds, 0)
    base = 52000 + os.getpid() % 1000 * 8
    received = ctx.Value("q", 0)
    ready = ctx.Event()
    collector = ctx.Process(target=_collector, args=(base + 7, ready, received), daemon=True)
    collector.start()
    if not ready.wait(30):
        raise SystemExit("the collector stand-in did not start")
    servers = {}
    for i, kind in enumerate(kinds):
        ready = ctx.Event()
        proc = ctx.Process(target=_serve, args=(kind, base + i, ready, base + 7), daemon=True)
        proc.start()
        if not ready.wait(30):
            raise SystemExit(f"{kind} server did not start")
        servers[kind] = (proc, base + i)
    load_before = os.getloadavg()
    pids = {kind: proc.pid for kind, (proc, _) in servers.items() if proc.pid is not None}
    # What each server spends idle (gRPC's poller, timers), to take off its whole-run CPU below.
    idle_from = {kind: cpu_seconds(pid) for kind, pid in pids.items()}
    idle_began = time.perf_counter()
    time.sleep(3)
    idle_rate = {
        kind: (cpu_seconds(pid) - idle_from[kind]) / (time.perf_counter() - idle_began)
        for kind, pid in pids.items()
    }
    run_from = {kind: cpu_seconds(pid) for kind, pid in pids.items()}
    threads_from = {kind: thread_cpu(pid) for kind, pid in pids.items()}
    run_began = time.perf_counter()
    per_round: list[dict[str, float]] = []  # each round's CPU per call (us), by server
    rates: list[dict[str, int]] = []
    try:
        for n in range(args.rounds):
            per_round.append({})
            rates.append({})
            for kind in kinds if n % 2 == 0 else reversed(kinds):
                proc, port = servers[kind]
                assert proc.pid is not None
                # With ISTHMUS_BENCH_PROFILE, each server's last round is profiled (py-spy).
                profiler = Profiler({_file_name(kind): proc.pid} if n == args.rounds - 1 else {})
                profiler.start()
                used = cpu_seconds(proc.pid)
                rate, latencies = asyncio.run(_load(port, args.seconds, args.concurrency, args.rate))
                profiler.stop()
                spent = cpu_seconds(proc.pid) - used
                cpu[kind] += spent
                calls[kind] += len(latencies)
                results[kind].append((rate, latencies))
                per_round[-1][kind] = spent / max(1, len(latencies)) * 1e6
                rates[-1][kind] = rate
        time.sleep(6)  # the batch span processor exports every 5 s at the latest
        run_seconds = time.perf_counter() - run_began
        whole = {
            kind: max(0.0, cpu_seconds(pid) - run_from[kind] - idle_rate[kind] * run_seconds)
            for kind, pid in pids.items()
        }
        threads: dict[str, dict[str, tuple[float, float]]] = {}
        for kind, pid in pids.items():
            threads[kind] = {}
            for name, (user, system) in thread_cpu(pid).items():
                user0, system0 = threads_from[kind].get(name, (0.0, 0.0))
                if user - user0 + system - system0 > 0:
                    threads[kind][name] = (user - user0, system - system0)
    finally:
        for proc, _ in servers.values():
            proc.terminate()
        collector.terminate()
    load_after = os.getloadavg()

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"grpcio {grpc.__version__}; load average {load_before[0]:.2f} before, {load_after[0]:.2f} after "
          f"(1 min)")  # fmt: skip
    summary = {}
    per_call = {kind: cpu[kind] / max(1, calls[kind]) * 1e6 for kind in kinds}  # microseconds
    for kind, runs in results.items():
        rate = int(statistics.median(r for r, _ in runs))
        lat = [x for _, ls in runs for x in ls]
        summary[kind] = rate
        print(
            f"{kind:12s} {rate:7d} RPC/s   p50 {_percentile(lat, 50) * 1000:6.2f} ms   "
            f"p99 {_percentile(lat, 99) * 1000:6.2f} ms   server CPU {per_call[kind]:5.0f} us/call"
            f"   ({args.rounds} rounds x {args.seconds:g} s, {args.concurrency} in flight"
            f"{f', at most {args.rate:g} calls/s' if args.rate else ''})"
        )
    traced = sum(calls[k] for k in kinds if k.startswith("traced"))
    expected = sum(calls[f"traced {r:.0%}"] * r for r in ratios)
    print(
        f"spans received by the collector: {received.value} of {traced} traced calls "
        f"({expected:.0f} expected)"
    )
    paired = [r["chassis"] / r["bare"] for r in rates]
    print(
        f"chassis/bare throughput: {summary['chassis'] / summary['bare']:.1%} (target >= 85%); "
        f"round by round {_spread(paired, '.1%')}"
    )
    for kind in kinds[2 + len(ratios) :]:
        print(
            f"{kind}: {per_call[kind] - per_call['bare']:+.0f} us server CPU per call against bare, "
            f"{per_call[kind] - per_call['chassis']:+.0f} against the chassis"
        )
    for r in ratios:
        kind = f"traced {r:.0%}"
        more = per_call[kind] / per_call["chassis"] - 1
        print(
            f"tracing on, sampling {r:.0%}: {more:+.1%} server CPU per call against the chassis without it "
            f"({per_call[kind] - per_call['chassis']:+.0f} us; target <= 15% at the shipped 10%), "
            f"throughput {summary[kind] / summary['chassis'] - 1:+.1%}"
        )
        paired = [x[kind] / x["chassis"] - 1 for x in per_round]
        over_run = (whole[kind] / calls[kind]) / (whole["chassis"] / calls["chassis"]) - 1
        print(
            f"  round by round {_spread(paired, '+.1%')}; over the whole run, every export "
            f"charged and idle wake-ups taken off, {over_run:+.1%}"
        )
    print("server CPU per call by thread over the whole run (us, user + system; threads of one name summed):")
    for kind in kinds:
        parts = sorted(threads[kind].items(), key=lambda t: -sum(t[1]))
        print(
            f"  {kind}: "
            + ", ".join(
                f"{name} {user / calls[kind] * 1e6:.1f} + {system / calls[kind] * 1e6:.1f}"
                for name, (user, system) in parts
            )
        )
    print(
        "idle CPU before the rounds (ms/s): "
        + ", ".join(f"{kind} {rate * 1000:.1f}" for kind, rate in idle_rate.items())
    )
    print("reproduce: .venv/bin/python bench/grpc_overhead.py " + " ".join(sys.argv[1:]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
