"""Ask a running component whether it is serving, over the standard grpc.health.v1 service.

Used by the chart's `helm test` pod and handy from a shell:
``python -m isthmus.platform.healthcheck --target host:50051`` (exit 0 when every target is SERVING).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc


def check(
    target: str,
    *,
    service: str = "",
    timeout: float = 5.0,
    ca_file: Path | None = None,
    tls: bool = False,
) -> str:
    """Return the serving status name of `service` at `target` (e.g. ``SERVING``), or the RPC error code."""
    if tls or ca_file is not None:
        root = ca_file.read_bytes() if ca_file is not None else None
        channel = grpc.secure_channel(target, grpc.ssl_channel_credentials(root_certificates=root))
    else:
        channel = grpc.insecure_channel(target)
    with channel:
        stub = health_pb2_grpc.HealthStub(channel)
        try:
            response = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=timeout)
        except grpc.RpcError as error:
            code = error.code() if isinstance(error, grpc.Call) else None
            return code.name if code is not None else "UNAVAILABLE"
    return str(health_pb2.HealthCheckResponse.ServingStatus.Name(response.status))


DESCRIPTION = "Check the grpc.health.v1 status of one or more components; exit 0 when all are SERVING."


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("targets", nargs="*", metavar="HOST:PORT", help="components to check")
    parser.add_argument("--target", dest="extra_targets", action="append", default=[], metavar="HOST:PORT")
    parser.add_argument("--service", default="", help='health service name ("" is the whole process)')
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds per check")
    parser.add_argument("--tls", action="store_true", help="connect with TLS (system roots)")
    parser.add_argument("--ca-file", type=Path, help="CA bundle for TLS (implies --tls)")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``isthmus health`` (the CLI's sub-command hook)."""
    health = sub.add_parser("health", help="check components' gRPC health", description=DESCRIPTION)
    _add_arguments(health)
    health.set_defaults(func=lambda args: _run(args, health))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="isthmus health", description=DESCRIPTION)
    _add_arguments(parser)
    return _run(parser.parse_args(argv), parser)


def _run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    targets = [*args.targets, *args.extra_targets]
    if not targets:
        parser.error("give at least one HOST:PORT")
    failed = 0
    for target in targets:
        status = check(target, service=args.service, timeout=args.timeout, ca_file=args.ca_file, tls=args.tls)
        print(f"{target} {status}", flush=True)
        failed += status != "SERVING"
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
