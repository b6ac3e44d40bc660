"""Agent scripts: what an agent's screen costs the service requests service, for sizing.

The production shape: ``isthmus serve service-requests`` as a fresh process, bearer tokens on, a
private PostgreSQL and RabbitMQ (bench/servers.py). A published script of six steps (a statement, two
choices, free text, a pitch the customer hears, a choice that captures a trait) is followed by
concurrent agents, each run from ``StartScriptRun`` through five ``AnswerScriptStep`` calls to its end,
which logs the run as an interaction and tells the captured trait; the clock stops when every event
is published. The anchor, alternated with it in the same run on the same server: the same agents
logging an interaction per screen instead (``LogInteraction``: six calls, the write an agent makes
without a script). The figure to compare is the service's CPU per call against the anchor's.

    .venv/bin/python bench/script_runs.py [--seconds 15] [--concurrency 32] [--rounds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import grpc

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import Meter, command_line, load_average, wait_idle
from procs import serving
from scratch import scratch_database, scratch_vhost
from servers import Server, servers

from isthmus_client import aio_connect
from isthmus_client.api.service_requests.v1 import scripts_pb2 as spb
from isthmus_client.api.service_requests.v1 import scripts_pb2_grpc, service_requests_pb2_grpc
from isthmus_client.api.service_requests.v1 import service_request_pb2 as pb
from isthmus_client.api.service_requests.v1 import service_requests_pb2 as rpc

TOKEN = "bench-scripts-" + uuid.uuid4().hex
TOKENS = json.dumps({"call-center": {"token": TOKEN, "scopes": ["service_requests:*"]}})
STEPS = [
    spb.ScriptStep(step_id="greet", prompt="Good morning {customer_name}.", next_step_id="reason"),
    spb.ScriptStep(
        step_id="reason",
        prompt="What can I do for you?",
        answers=[
            spb.ScriptAnswer(value="order", label="An order", next_step_id="which"),
            spb.ScriptAnswer(value="other", label="Something else", next_step_id="which"),
        ],
    ),
    spb.ScriptStep(step_id="which", prompt="Which order?", free_text=True, next_step_id="offer"),
    spb.ScriptStep(
        step_id="offer",
        prompt="Olive oil is 10% off this week. Shall I add a bottle?",
        answers=[spb.ScriptAnswer(value="yes"), spb.ScriptAnswer(value="no")],
        pitch=True,
        next_step_id="heard",
    ),
    spb.ScriptStep(
        step_id="heard",
        prompt="Where did you first hear of us?",
        answers=[spb.ScriptAnswer(value="tv"), spb.ScriptAnswer(value="friend")],
        capture="heard_from",
        next_step_id="close",
    ),
    spb.ScriptStep(step_id="close", prompt="Anything else, {customer_name}?"),
]
ANSWERS = {"greet": "", "reason": "order", "which": "INV-24-001", "offer": "no", "heard": "tv", "close": ""}
CALLS_PER_RUN = 1 + len(ANSWERS)  # the start and one answer a screen


async def load(port: int, script_id: str, kind: str, seconds: float, concurrency: int) -> tuple[int, int]:
    """Agents working for ``seconds``: whole script runs (``script``) or an interaction logged per
    screen (``log``). Returns (calls made, errors)."""
    async with aio_connect(f"127.0.0.1:{port}", token=TOKEN) as channel:
        scripts = scripts_pb2_grpc.ScriptServiceStub(channel)
        cases = service_requests_pb2_grpc.ServiceRequestServiceStub(channel)
        calls = errors = 0
        stop = asyncio.Event()

        async def agent(n: int) -> None:
            nonlocal calls, errors
            i = 0
            while not stop.is_set():
                i += 1
                customer = f"bench-{n}-{i % 500}"
                try:
                    if kind == "script":
                        run = (
                            await scripts.StartScriptRun(
                                spb.StartScriptRunRequest(
                                    script_id=script_id,
                                    customer_id=customer,
                                    customer_name="Ms Roe",
                                    direction=pb.DIRECTION_INBOUND,
                                )
                            )
                        ).run
                        while run.state == spb.SCRIPT_RUN_STATE_IN_PROGRESS:
                            step = run.screen.step_id
                            request = spb.AnswerScriptStepRequest(
                                run_id=run.run_id, step_id=step, answer=ANSWERS[step]
                            )
                            run = (await scripts.AnswerScriptStep(request)).run
                    else:
                        for step in range(CALLS_PER_RUN):
                            await cases.LogInteraction(
                                rpc.LogInteractionRequest(
                                    interaction=pb.Interaction(
                                        customer_id=customer,
                                        direction=pb.DIRECTION_INBOUND,
                                        channel=pb.CHANNEL_PHONE,
                                        subject=f"screen {step}",
                                        body="The customer said so",
                                    )
                                )
                            )
                    calls += CALLS_PER_RUN
                except grpc.aio.AioRpcError:
                    errors += 1

        tasks = [asyncio.create_task(agent(n)) for n in range(concurrency)]
        await asyncio.sleep(seconds)
        stop.set()
        await asyncio.gather(*tasks)
        return calls, errors


def one_phase(
    port: int, pids: dict[str, int], script_id: str, kind: str, args: argparse.Namespace
) -> dict[str, Any]:
    wait_idle(pids["service-requests"])
    meter = Meter({**pids, "load generator": os.getpid()})
    meter.start()
    started = time.perf_counter()
    calls, errors = asyncio.run(load(port, script_id, kind, args.seconds, args.concurrency))
    elapsed = time.perf_counter() - started
    wait_idle(pids["service-requests"])  # the relay publishing the last events: charged to the phase
    meter.stop()
    service = meter.used["service-requests"] * 1000 / max(1, calls)
    return {
        "calls": calls,
        "errors": errors,
        "rate": calls / elapsed,
        "cpu": meter.per(calls),
        "service": service,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--concurrency", type=int, default=32, help="agents at work at once")
    parser.add_argument("--rounds", type=int, default=2, help="script and anchor phases, alternated")
    args = parser.parse_args()
    print(f"command: {command_line()}; load average at the start: {load_average()}", flush=True)
    ratios = []
    with servers() as found:
        pg: Server = found["postgres"]
        mq: Server = found["rabbitmq"]
        with scratch_database(pg.url) as database_url, scratch_vhost(mq.host, mq.node) as amqp_url:
            env = {
                "ISTHMUS_DATABASE_URL": database_url,
                "ISTHMUS_AMQP_URL": amqp_url,
                "ISTHMUS_AUTH_TOKENS": TOKENS,
            }
            with serving(["service-requests"], env) as served:
                port = served["service-requests"].port
                pids = {
                    "service-requests": served["service-requests"].pid,
                    "postgres": pg.pid,
                    "rabbitmq": mq.pid,
                }

                async def publish() -> str:
                    async with aio_connect(f"127.0.0.1:{port}", token=TOKEN) as channel:
                        scripts = scripts_pb2_grpc.ScriptServiceStub(channel)
                        created = await scripts.CreateScript(
                            spb.CreateScriptRequest(name="Bench", steps=STEPS)
                        )
                        script_id = created.script.script_id
                        await scripts.PublishScript(spb.PublishScriptRequest(script_id=script_id, version=1))
                        return str(script_id)

                script_id = asyncio.run(publish())
                asyncio.run(load(port, script_id, "script", 1, 4))  # warm up both paths
                asyncio.run(load(port, script_id, "log", 1, 4))
                for n in range(args.rounds):
                    phases = {
                        kind: one_phase(port, pids, script_id, kind, args) for kind in ("script", "log")
                    }
                    for kind, r in phases.items():
                        what = "script runs" if kind == "script" else "anchor, LogInteraction per screen"
                        print(
                            f"round {n + 1} {what}: {r['rate']:,.0f} calls/s "
                            f"({r['calls'] // CALLS_PER_RUN:,} agents' calls of {CALLS_PER_RUN} screens; "
                            f"{r['errors']} errors); CPU per call: "
                            f"{r['cpu']}",
                            flush=True,
                        )
                    ratio = phases["script"]["service"] / phases["log"]["service"]
                    ratios.append(ratio)
                    print(f"round {n + 1} service CPU per call, script / anchor: {ratio:.2f}", flush=True)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"load average at the end: {load_average()}")
    print(f"service CPU per call, script / anchor, by round: {', '.join(f'{r:.2f}' for r in ratios)}")
    print(
        f"reproduce: .venv/bin/python bench/script_runs.py --seconds {args.seconds:g} "
        f"--concurrency {args.concurrency} --rounds {args.rounds}"
    )


if __name__ == "__main__":
    main()
