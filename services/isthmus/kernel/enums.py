"""Protobuf enum values as the short names people read: ``ORDER_STATE_PAID`` <-> ``PAID``."""

from __future__ import annotations

from typing import Any


def label(enum: Any, value: int) -> str:
    """Enum value name without its type prefix: ORDER_STATE_PAID -> PAID; "" for 0 or a number unknown."""
    if value not in enum.values() or value == 0:
        return ""
    return str(enum.Name(value)).removeprefix(enum.Name(0).removesuffix("UNSPECIFIED"))


def unlabel(enum: Any, text: str) -> Any:
    """The inverse of :func:`label`: PAID -> ORDER_STATE_PAID's number; 0 for "" or a name unknown.
    (An int, typed Any: the generated stubs give each enum field its enum's own class.)"""
    if not text:
        return 0
    found = enum.DESCRIPTOR.values_by_name.get(enum.Name(0).removesuffix("UNSPECIFIED") + text)
    return int(found.number) if found is not None else 0
