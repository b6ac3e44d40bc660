"""Request validation: collect every bad field of a request, then refuse it once, naming them all."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from isthmus.kernel import timestamps
from isthmus.kernel.errors import InvalidArgument

T = TypeVar("T")

MAX_NAME = 200


class Violations:
    """Collects ``(field, message)`` pairs; ``raise_any`` refuses the request with all of them.

    Fields are request paths (``record.emails[1].address``), so the caller learns every problem at
    once rather than one per retry.
    """

    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def __bool__(self) -> bool:
        return bool(self.items)

    def add(self, field: str, message: str) -> None:
        self.items.append((field, message))

    def guard(self, call: Callable[[], T]) -> T | None:
        """``call()``, or None with its violations recorded when it raises InvalidArgument."""
        try:
            return call()
        except InvalidArgument as exc:
            self.items.extend(exc.violations)
            return None

    def required(self, **fields: object) -> None:
        """Record ``required`` for every keyword whose value is empty."""
        for name, value in fields.items():
            if not value:
                self.add(name, "required")

    def text(self, field: str, value: str, *, required: bool = False, limit: int = MAX_NAME) -> str:
        """A text field, stripped when it is a short one; too long or missing (when required) is recorded."""
        if required and not value.strip():
            self.add(field, "required")
        elif len(value) > limit:
            self.add(field, f"is longer than {limit} characters")
        return value.strip() if limit <= MAX_NAME else value

    def enum(
        self,
        field: str,
        value: int,
        enum: Any,
        prefix: str,
        target: Callable[[str], T] | None = None,
        *,
        default: Any = None,
        optional: bool = False,
    ) -> Any:
        """The enum value's name without ``prefix`` (through ``target`` when given).

        ``*_UNSPECIFIED`` (0) gives ``default``, recorded as ``required`` unless a default or
        ``optional`` says it may be left out; a number the proto does not define is recorded.
        """
        if value == 0:
            if default is None and not optional:
                self.add(field, "required (UNSPECIFIED is not a value)")
            return default
        try:
            name = str(enum.Name(value)).removeprefix(prefix)
        except ValueError:
            self.add(field, f"{value} is not a known value")
            return default
        return target(name) if target is not None else name

    def instant(self, message: Any, name: str, field: str | None = None) -> datetime | None:
        """The Timestamp field ``name`` (None when unset or invalid; invalid is recorded)."""
        return self.guard(lambda: timestamps.opt_ts(message, name, field))

    def raise_any(self) -> None:
        if self.items:
            raise InvalidArgument.many(self.items)
