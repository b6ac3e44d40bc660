"""Database engines: one per component, each confined to the component's own schema or file.

PostgreSQL: the component's schema is first on ``search_path``, so its tables are declared without a
schema and no query can wander into another component's tables by accident. The services talk to it
through asyncpg; migrations and command-line tools, which run outside an event loop, through psycopg
(docs/decisions/0019-asyncpg-for-the-services.md). SQLite (the embedded default): one file per
component under the data dir.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from isthmus.platform import jsoncodec
from isthmus.platform.config import Settings


def is_postgres(settings: Settings) -> bool:
    return settings.database_url is not None


def _url(settings: Settings, schema: str, *, driver_async: bool) -> URL:
    if settings.database_url is None:
        path = Path(settings.data_dir) / f"{schema}.sqlite"
        return URL.create("sqlite+aiosqlite" if driver_async else "sqlite", database=str(path))
    url = make_url(settings.database_url)
    return url.set(drivername="postgresql+asyncpg" if driver_async else "postgresql+psycopg")


def _connect_args(settings: Settings, schema: str, *, driver_async: bool) -> dict[str, Any]:
    if settings.database_url is None:
        return {}
    if driver_async:
        # asyncpg prepares every statement; a generic plan cached while a table was small (a seq
        # scan) would stay with the connection however large the table grows. Plan each execution
        # for its parameters instead, as an unprepared statement would be. No JIT: it compiled the
        # customer master's candidate query for every batch (135 of its 330 ms), as row estimates
        # over arrays put short index lookups above jit_above_cost.
        server = {"search_path": schema, "plan_cache_mode": "force_custom_plan", "jit": "off"}
        return {"server_settings": server}
    return {"options": f"-c search_path={schema}"}


def sqlstate(exc: BaseException) -> str:
    """The SQLSTATE of a database error (either driver), or "" when it has none."""
    orig = getattr(exc, "orig", None)
    return str(getattr(orig, "sqlstate", None) or getattr(exc, "sqlstate", None) or "")


def is_retryable(exc: BaseException) -> bool:
    """A refusal that a retry can get past: the connection failed (class 08), a serialization race
    or a deadlock was lost (40), the server ran out of resources (53) or is shutting down or starting
    (57P01-57P03)."""
    state = sqlstate(exc)
    return state[:2] in ("08", "40", "53") or state in ("57P01", "57P02", "57P03")


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        # WAL lets readers run beside the one writer; busy_timeout waits for the lock instead of failing.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()

    @event.listens_for(engine, "savepoint")
    def _on_savepoint(conn: Connection, _name: str) -> None:
        # The sqlite3 driver begins a transaction at the first INSERT, UPDATE or DELETE, not at
        # SQLAlchemy's begin: a SAVEPOINT before that would begin a transaction of its own, and its
        # release would commit what it wrote. Begun here, the savepoint is inside the transaction.
        if not conn.connection.driver_connection.in_transaction:  # type: ignore[union-attr]
            conn.exec_driver_sql("BEGIN")


_JSON: dict[str, Any] = {"json_serializer": jsoncodec.dumps, "json_deserializer": jsoncodec.loads}


def async_engine(settings: Settings, schema: str) -> AsyncEngine:
    url = _url(settings, schema, driver_async=True)
    if settings.database_url is None:
        Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, **_JSON)
        _tune_sqlite(engine.sync_engine)
        return engine
    return create_async_engine(
        url,
        **_JSON,
        connect_args=_connect_args(settings, schema, driver_async=True),
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
        # No pre-ping: it costs a round trip and its CPU on every checkout. A connection the
        # server dropped fails its one request as UNAVAILABLE and SQLAlchemy then discards the whole
        # pool (docs/decisions/0017-no-pool-pre-ping.md).
    )


def sync_engine(settings: Settings, schema: str) -> Engine:
    """For migrations and CLI tools that run outside the event loop."""
    url = _url(settings, schema, driver_async=False)
    if settings.database_url is None:
        Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, **_JSON)
        _tune_sqlite(engine)
        return engine
    return create_engine(
        url, **_JSON, connect_args=_connect_args(settings, schema, driver_async=False), pool_pre_ping=True
    )


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def read_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions whose statements run outside any transaction (AUTOCOMMIT): no BEGIN and COMMIT round
    trips around reads (docs/decisions/0029). A write through one commits at once."""
    return session_factory(engine.execution_options(isolation_level="AUTOCOMMIT"))
