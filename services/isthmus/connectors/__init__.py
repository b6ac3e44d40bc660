"""Connector SDK: hookspecs, plugin manager, runtime and test kit.

A plugin needs one import::

    from isthmus.connectors import Connector, Stream, hookimpl
"""

from isthmus.connectors.hookspecs import hookimpl
from isthmus.connectors.sdk import (
    CARTS,
    CUSTOMERS,
    INTERACTIONS,
    ORDERS,
    SERVICE_REQUESTS,
    STOCK,
    BadRecord,
    Checkpoint,
    CheckResult,
    ConfigInvalid,
    Connector,
    GoldenChange,
    InvalidRecord,
    Message,
    Push,
    Pushed,
    PushRefused,
    Record,
    Stream,
    StreamState,
    Tracer,
    TransientError,
)

__all__ = [
    "CARTS",
    "CUSTOMERS",
    "INTERACTIONS",
    "ORDERS",
    "SERVICE_REQUESTS",
    "STOCK",
    "BadRecord",
    "CheckResult",
    "Checkpoint",
    "ConfigInvalid",
    "Connector",
    "GoldenChange",
    "InvalidRecord",
    "Message",
    "Push",
    "PushRefused",
    "Pushed",
    "Record",
    "Stream",
    "StreamState",
    "Tracer",
    "TransientError",
    "hookimpl",
]
