"""Alembic, driven from code: each component's schema gets its own migration streams.

A stream is an Alembic script directory plus its own version table, so the platform's tables (the
event outbox and inbox) and each context's tables evolve independently inside the same schema.
Every script directory holds a two-line ``env.py`` that calls :func:`run_env`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from alembic import command, context, op
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import JSON, MetaData, bindparam, column, select, table, text

from isthmus.kernel.ids import new_uuid
from isthmus.platform.config import Settings
from isthmus.platform.db import is_postgres, sync_engine


@dataclass(frozen=True)
class Stream:
    script_location: str  # "package:dir", e.g. "isthmus.orders:migrations"
    version_table: str


def _config(settings: Settings, schema: str, stream: Stream) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", stream.script_location)
    cfg.attributes.update(settings=settings, schema=schema, version_table=stream.version_table)
    return cfg


def upgrade(settings: Settings, schema: str, streams: list[Stream], revision: str = "head") -> None:
    if is_postgres(settings):
        engine = sync_engine(settings, schema)
        try:
            with engine.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        finally:
            engine.dispose()
    for stream in streams:
        command.upgrade(_config(settings, schema, stream), revision)


def downgrade(settings: Settings, schema: str, streams: list[Stream], revision: str) -> None:
    """Each stream back to ``revision`` (streams in reverse order: later ones may build on earlier)."""
    for stream in reversed(streams):
        command.downgrade(_config(settings, schema, stream), revision)


def drift(settings: Settings, schema: str, metadata: MetaData) -> list[object]:
    """How the migrated ``schema`` differs from ``metadata`` (its tables only); [] when they agree."""
    engine = sync_engine(settings, schema)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(
                conn,
                opts={
                    "compare_type": True,
                    # Other streams' tables (and version tables) share the schema: leave them out.
                    "include_name": lambda name, kind, _parent: kind != "table" or name in metadata.tables,
                },
            )
            return list(compare_metadata(ctx, metadata))
    finally:
        engine.dispose()


def mint_ids(table_name: str, name: str) -> None:
    """In a migration: fill the new column ``name`` of every row of ``table_name`` with an id from the
    one generator (``kernel.ids.new_uuid``), in the order of the table's ``id`` column, so that ids
    minted for rows stored before the column existed sort as the rows do."""
    rows = table(table_name, column("id"), column(name))
    conn = op.get_bind()
    keys = conn.execute(select(rows.c.id).order_by(rows.c.id)).scalars().all()
    if keys:
        named = rows.update().where(rows.c.id == bindparam("row_id")).values({name: bindparam("minted")})
        conn.execute(named, [{"row_id": key, "minted": new_uuid()} for key in keys])


def fill_from_json(
    table_name: str,
    key: str,
    source: str,
    columns: Sequence[str],
    compute: Callable[[Any], dict[str, Any]],
    *,
    chunk: int = 5000,
) -> None:
    """In a migration: set the new ``columns`` of every row of ``table_name`` to what ``compute`` makes
    of the row's JSON column ``source``, ``chunk`` rows a statement, in the order of the key ``key``."""
    rows = table(table_name, column(key), column(source, JSON()), *(column(c) for c in columns))
    conn = op.get_bind()
    fill = rows.update().where(rows.c[key] == bindparam("row_key"))
    fill = fill.values({c: bindparam(f"new_{c}") for c in columns})
    after = None
    while True:
        read = select(rows.c[key], rows.c[source]).order_by(rows.c[key]).limit(chunk)
        found = conn.execute(read if after is None else read.where(rows.c[key] > after)).all()
        if not found:
            return
        changes = [{"row_key": k, **{f"new_{c}": v for c, v in compute(s).items()}} for k, s in found]
        conn.execute(fill, changes)
        after = found[-1][0]


def run_env(metadata: MetaData) -> None:
    """Body of every ``env.py``: online migrations against the component's own schema."""
    attrs = context.config.attributes
    settings: Settings = attrs["settings"]
    schema: str = attrs["schema"]
    engine = sync_engine(settings, schema)
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=metadata,
                version_table=attrs["version_table"],
                version_table_schema=schema if is_postgres(settings) else None,
                # SQLite cannot ALTER most things in place; batch mode rebuilds the table instead.
                render_as_batch=not is_postgres(settings),
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
            connection.commit()
    finally:
        engine.dispose()
