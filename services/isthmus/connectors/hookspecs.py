"""The hooks an Isthmus plugin may implement (documented in docs/plugin-hooks.md).

A plugin is a module or object with functions marked ``@isthmus.connectors.hookimpl``, registered
through the ``isthmus`` entry-point group. Isthmus calls every hook with keyword arguments, so an
implementation may accept only the arguments it needs.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import pluggy

PROJECT = "isthmus"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

if TYPE_CHECKING:
    from isthmus.connectors.sdk import Connector, RecordTransform


# -------------------------------------------------------------------------------------------------
# Connectors
# -------------------------------------------------------------------------------------------------


@hookspec
def register_connectors() -> Iterable[type[Connector]]:  # type: ignore[empty-body]
    """Return the connector classes this plugin provides."""


# -------------------------------------------------------------------------------------------------
# Records on their way to the hub
# -------------------------------------------------------------------------------------------------


@hookspec
def transform_record(connector: str, stream: str, config: dict[str, Any]) -> RecordTransform | None:
    """Return a function to apply to every record of this connector instance's stream, or None.

    Returning None is the predicate saying "not for this stream"; it is asked once per sync, so the
    per-record cost is only that of the functions returned. Transforms run in plugin order after the
    connector and before the canonical schema check; a transform may raise ``InvalidRecord`` to send the
    record to the dead-letter store.
    """


# -------------------------------------------------------------------------------------------------
# Identity resolution in the customer master
# -------------------------------------------------------------------------------------------------


@hookspec
def register_match_comparators() -> Iterable[Any]:  # type: ignore[empty-body]
    """Return extra comparators for the customer master's matcher (objects of its comparator API)."""
