"""Scratch backends for one benchmark run: a PostgreSQL database and a RabbitMQ vhost, made for the run
and dropped after it, so a run never sees another's data or queues."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

# Ports for the servers a bench starts come from the tests' helper: not ones the kernel picks with a
# bind to port 0, which a connection opened meanwhile may take as its own local end.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "support"))
from free_ports import free_port as free_port

PG_ADMIN = os.environ.get("ISTHMUS_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
AMQP_HOST = os.environ.get("ISTHMUS_BENCH_AMQP", "guest:guest@127.0.0.1:5672")


def rabbitmqctl(*args: str, node: str | None = None) -> None:
    where = ["-n", node] if node else []
    subprocess.run(["rabbitmqctl", "-q", *where, *args], check=True, capture_output=True, timeout=120)


def database_url(admin_url: str, name: str) -> str:
    return f"{admin_url.rsplit('/', 1)[0]}/{name}"


@contextmanager
def scratch_database(admin_url: str = PG_ADMIN, template: str | None = None) -> Iterator[str]:
    """Yields the URL of a new database on the server of ``admin_url``, empty or a copy of
    ``template``; drops it afterwards."""
    name = f"isthmus_bench_{uuid.uuid4().hex[:8]}"
    copy = f' TEMPLATE "{template}"' if template else ""
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"{copy}')
    try:
        yield database_url(admin_url, name)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def vacuum(database_url: str) -> tuple[float, str]:
    """VACUUM (ANALYZE) the whole database, as autovacuum would in time; (seconds taken, the server's
    autovacuum setting). A master that is "already present" has been vacuumed and analysed: seeding
    it moments before measuring would otherwise measure a table without statistics or visibility map
    (the CI server here runs with autovacuum off)."""
    start = time.perf_counter()
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
        setting = conn.execute("SHOW autovacuum").fetchone()
    return time.perf_counter() - start, str(setting[0] if setting else "?")


def database_mib(database_url: str) -> float:
    """The database's size on disk (tables, indexes, TOAST), in MiB: what PostgreSQL's buffers hold
    of it is what its reads find without the kernel."""
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT pg_database_size(current_database())").fetchone()
    return (row[0] if row else 0) / 2**20


@contextmanager
def scratch_vhost(host: str = AMQP_HOST, node: str | None = None) -> Iterator[str]:
    """Yields the AMQP URL of a new vhost on a local broker (needs rabbitmqctl; ``node`` names a
    broker other than the default one); deletes it afterwards."""
    vhost = f"isthmus-bench-{uuid.uuid4().hex[:8]}"
    rabbitmqctl("add_vhost", vhost, node=node)
    try:
        rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*", node=node)
        yield f"amqp://{host}/{vhost}"
    finally:
        rabbitmqctl("delete_vhost", vhost, node=node)
