"""SQL constructs the stores share.

``column IN (:a, :b, ...)`` renders one placeholder per value, so a list of another length is another
statement: asyncpg prepares each anew (a round trip and a plan on the server) and keeps only so many.
:func:`any_of` is one statement whatever the length: ``column = ANY(:values)`` with one array
parameter on PostgreSQL, an expanding ``IN`` on SQLite (which prepares nothing).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal


class _AnyOf(ColumnElement[bool]):
    """``column`` is (or, negated, is not) one of the list bound to ``name``."""

    inherit_cache = True
    type = Boolean()
    _is_implicitly_boolean = True  # a comparison already: no ``= 1`` where booleans are integers
    _traverse_internals = [
        ("column", InternalTraversal.dp_clauseelement),
        ("name", InternalTraversal.dp_string),
        ("negated", InternalTraversal.dp_boolean),
    ]

    def __init__(self, column: ColumnElement[Any], name: str, negated: bool) -> None:
        self.column = column
        self.name = name
        self.negated = negated


def any_of(column: ColumnElement[Any], name: str) -> ColumnElement[bool]:
    """``column`` is one of the values of the list parameter ``name``."""
    return _AnyOf(column, name, False)


def none_of(column: ColumnElement[Any], name: str) -> ColumnElement[bool]:
    """``column`` is none of the values of the list parameter ``name`` (true for an empty list)."""
    return _AnyOf(column, name, True)


@compiles(_AnyOf)
def _expanding_in(element: _AnyOf, compiler: Any, **kw: Any) -> str:
    values: Any = bindparam(element.name, expanding=True)
    clause = element.column.not_in(values) if element.negated else element.column.in_(values)
    return str(compiler.process(clause, **kw))


@compiles(_AnyOf, "postgresql")
def _array(element: _AnyOf, compiler: Any, **kw: Any) -> str:
    clause = element.column == any_(bindparam(element.name, type_=ARRAY(element.column.type)))
    # Not ``x <> ANY(a)``, which is "differs from some": "differs from all" is ``NOT (x = ANY(a))``.
    return str(compiler.process(~clause if element.negated else clause, **kw))
