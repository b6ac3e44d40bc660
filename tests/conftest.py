"""Shared fixtures: a fresh PostgreSQL database per test session and RabbitMQ vhosts, both real.

Outside CI a missing server skips the tests that need it, loudly; under ``CI=true`` it fails them,
so a green CI run always means the real servers were used.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator

import pytest

PG_ADMIN_URL = os.environ.get("ISTHMUS_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
AMQP_HOST = os.environ.get("ISTHMUS_TEST_AMQP_HOST", "127.0.0.1:5672")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def unavailable(what: str, why: object) -> None:
    message = f"{what} is not reachable ({why}); start it or these tests cannot run"
    if IN_CI:
        pytest.fail(f"CI=true: {message}", pytrace=False)
    pytest.skip(f"SKIPPED, NO SERVER: {message}")


def _pg_admin():  # type: ignore[no-untyped-def]
    import psycopg

    return psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)


def _database() -> Iterator[str]:
    try:
        admin = _pg_admin()
    except Exception as exc:
        unavailable("PostgreSQL at " + PG_ADMIN_URL, exc)
    name = f"isthmus_test_{uuid.uuid4().hex[:12]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with _pg_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """URL of a PostgreSQL database created for this test session and dropped after it."""
    yield from _database()


@pytest.fixture
def pg_database() -> Iterator[str]:
    """A pristine PostgreSQL database for one test (where what other tests left would be in the way)."""
    yield from _database()


@pytest.fixture(scope="module")
def pg_module_database() -> Iterator[str]:
    """A pristine PostgreSQL database shared by one module's tests (a whole deployment under test)."""
    yield from _database()


def _rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=60)


def _amqp_reachable() -> None:
    import pika

    try:
        host, port = AMQP_HOST.split(":")
        params = pika.ConnectionParameters(host, int(port), connection_attempts=1, socket_timeout=3)
        pika.BlockingConnection(params).close()
    except Exception as exc:
        unavailable(f"RabbitMQ at {AMQP_HOST}", exc)
    if shutil.which("rabbitmqctl") is None:
        unavailable("rabbitmqctl (to create a test vhost)", "not on PATH")


def _vhost() -> Iterator[str]:
    _amqp_reachable()
    vhost = f"isthmus-test-{uuid.uuid4().hex[:12]}"
    _rabbitmqctl("add_vhost", vhost)
    _rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    try:
        yield f"amqp://guest:guest@{AMQP_HOST}/{vhost}"
    finally:
        _rabbitmqctl("delete_vhost", vhost)


@pytest.fixture(scope="session")
def amqp_url() -> Iterator[str]:
    """A RabbitMQ vhost of this test session's own. Use unique queue names inside it per test."""
    yield from _vhost()


@pytest.fixture
def amqp_vhost() -> Iterator[str]:
    """A pristine RabbitMQ vhost for one test (costs about two seconds: use where isolation needs it)."""
    yield from _vhost()


@pytest.fixture(scope="module")
def amqp_module_vhost() -> Iterator[str]:
    """A pristine RabbitMQ vhost shared by one module's tests."""
    yield from _vhost()
