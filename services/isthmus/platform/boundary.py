"""The rules every request meets before a handler sees it, read from the message descriptors.

Well-formed protobuf still carries values no handler should have to think about: text with NUL
and other control characters (PostgreSQL cannot store NUL; SQLite stores it silently), ids
(``*_id`` fields) longer than any id column holds, Timestamps
and Durations outside the range protobuf defines, enum numbers the proto does not define (proto3
enums are open), and bytes that are not UTF-8 in a string field. One rule for every field of every
request, the same on SQLite and PostgreSQL: such a value is INVALID_ARGUMENT naming its path.

A request field marked ``[(google.api.field_behavior) = REQUIRED]`` must be given (AIP-203), and
one marked ``OUTPUT_ONLY`` (an id the server mints, a computed total, a ``create_time``) is ignored:
:func:`check` clears it before the rules above look at the request, so neither the handler nor an
idempotency comparison ever sees what a client copied from a response.

A repeated field whose items a handler refuses one by one (a bulk ingest's records) carries
``[(isthmus.common.v1.checked_per_item) = true]``: the walk skips it and the handler calls
:func:`violations` on each item, so one bad item does not cost the others.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import Any

from google.api import field_behavior_pb2
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from isthmus.kernel import timestamps
from isthmus.kernel.errors import InvalidArgument

# C0 controls and DEL, except tab, line feed and carriage return, which free text may hold.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ANY_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
EXCERPT = 40  # characters of a client's value that an error message or a log line may echo
MAX_ID = 128  # characters of any id field (``*_id``): the longest an id column holds

_STRING = FieldDescriptor.TYPE_STRING
_ENUM = FieldDescriptor.TYPE_ENUM
_MESSAGE = FieldDescriptor.TYPE_MESSAGE
_REQUIRED = field_behavior_pb2.REQUIRED
_OUTPUT_ONLY = field_behavior_pb2.OUTPUT_ONLY


def behaviours(f: FieldDescriptor) -> frozenset[int]:
    """The ``google.api.field_behavior`` values a field is marked with (AIP-203)."""
    return frozenset(f.GetOptions().Extensions[field_behavior_pb2.field_behavior])


def excerpt(value: str | bytes, limit: int = EXCERPT) -> str:
    """A client's value as a message may echo it: at most ``limit`` characters, escaped, quoted."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "backslashreplace")
    shown = value[:limit].encode("unicode_escape").decode("ascii")
    more = len(value) - limit
    return f"'{shown}'" + (f"... ({more} more characters)" if more > 0 else "")


def escaped(text: str) -> str:
    """``text`` with control characters (line breaks too) written as ``\\uXXXX``."""
    return _ANY_CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def control_character(value: str) -> str | None:
    """Why ``value`` is refused as text, or None when it is fine."""
    found = _CONTROL.search(value)
    if found is None:
        return None
    return f"contains the control character U+{ord(found.group()):04X} at position {found.start()}"


Check = Callable[[Message, str, list[tuple[str, str]]], None]


def _time_check(kind: str) -> Callable[[Any], str | None]:
    if kind == "google.protobuf.Timestamp":
        return timestamps.valid_ts

    def duration(value: Any) -> str | None:
        try:
            timestamps.from_duration(value, "")
        except InvalidArgument as exc:
            return exc.violations[0][1]
        return None

    return duration


@cache
def _plan(descriptor: Descriptor) -> tuple[Check, ...]:
    """The checks for one message type: only the fields that can hold something to refuse."""
    from isthmus_client.api.common.v1 import common_pb2  # registers the field option

    checks: list[Check] = []
    for f in descriptor.fields:
        name, repeated = f.name, f.is_repeated
        if _REQUIRED in behaviours(f):
            checks.append(_required(f))
        if f.type == _STRING:
            is_id = name == "id" or name.endswith("_id")
            checks.append(_strings(name, repeated, MAX_ID if is_id else None))
        elif f.type == _ENUM:
            enum = f.enum_type
            if enum is not None and not enum.is_closed:
                checks.append(_enums(name, repeated, frozenset(enum.values_by_number)))
        elif f.type == _MESSAGE:
            if f.GetOptions().Extensions[common_pb2.checked_per_item]:  # type: ignore[index]
                continue
            target = f.message_type
            if target.GetOptions().map_entry:
                checks.append(_maps(name, target))
            elif target.full_name in ("google.protobuf.Timestamp", "google.protobuf.Duration"):
                checks.append(_times(name, repeated, _time_check(target.full_name)))
            elif _plan(target):
                checks.append(_messages(name, repeated))
    return tuple(checks)


def _required(f: FieldDescriptor) -> Check:
    name = f.name
    if f.is_repeated:

        def given(message: Message) -> bool:
            return len(getattr(message, name)) > 0
    elif f.type == _MESSAGE:

        def given(message: Message) -> bool:
            return message.HasField(name)
    elif f.type == _STRING:

        def given(message: Message) -> bool:
            return bool(getattr(message, name).strip())
    else:

        def given(message: Message) -> bool:
            return bool(getattr(message, name))

    def check(message: Message, path: str, out: list[tuple[str, str]]) -> None:
        if not given(message):
            out.append((f"{path}{name}", "is required"))

    return check


def required_fields(descriptor: Descriptor) -> list[str]:
    """The fields of a request type marked ``[(google.api.field_behavior) = REQUIRED]``."""
    return [f.name for f in descriptor.fields if _REQUIRED in behaviours(f)]


@cache
def _output_only(descriptor: Descriptor) -> tuple[tuple[str, ...], tuple[tuple[str, bool, bool], ...]]:
    """The OUTPUT_ONLY fields of a message type to clear, and the message fields (name, repeated,
    map) that may hold more of them."""
    cleared: list[str] = []
    nested: list[tuple[str, bool, bool]] = []
    for f in descriptor.fields:
        if _OUTPUT_ONLY in behaviours(f):
            cleared.append(f.name)
        elif f.type == _MESSAGE and (target := f.message_type) is not None:
            is_map = bool(target.GetOptions().map_entry)
            if is_map:
                value = target.fields_by_name["value"]
                if value.type != _MESSAGE or not _has_output_only(value.message_type):
                    continue
            elif not _has_output_only(target):
                continue
            nested.append((f.name, f.is_repeated and not is_map, is_map))
    return tuple(cleared), tuple(nested)


@cache
def _has_output_only(descriptor: Descriptor) -> bool:
    cleared, nested = _output_only(descriptor)
    return bool(cleared or nested)


def clear_output_only(message: Message) -> None:
    """Clear every OUTPUT_ONLY field of ``message`` and of the messages in it (AIP-203: a request
    that carries one is served as if it did not)."""
    cleared, nested = _output_only(message.DESCRIPTOR)
    for name in cleared:
        message.ClearField(name)
    for name, repeated, is_map in nested:
        if is_map:
            for item in getattr(message, name).values():
                clear_output_only(item)
        elif repeated:
            for item in getattr(message, name):
                clear_output_only(item)
        elif message.HasField(name):
            clear_output_only(getattr(message, name))


def _strings(name: str, repeated: bool, limit: int | None) -> Check:
    def why(value: str) -> str | None:
        if limit is not None and len(value) > limit:
            return f"is longer than {limit} characters"
        return control_character(value)

    def check(message: Message, path: str, out: list[tuple[str, str]]) -> None:
        value = getattr(message, name)
        if repeated:
            for i, item in enumerate(value):
                if (problem := why(item)) is not None:
                    out.append((f"{path}{name}[{i}]", problem))
        elif value and (problem := why(value)) is not None:
            out.append((f"{path}{name}", problem))

    return check


def _enums(name: str, repeated: bool, defined: frozenset[int]) -> Check:
    def check(message: Message, path: str, out: list[tuple[str, str]]) -> None:
        value = getattr(message, name)
        for i, number in enumerate(value) if repeated else ((None, value),):
            if number not in defined:
                where = f"{path}{name}" if i is None else f"{path}{name}[{i}]"
                out.append((where, f"{number} is not a defined value"))

    return check


def _times(name: str, repeated: bool, why: Callable[[Any], str | None]) -> Check:
    def check(message: Message, path: str, out: list[tuple[str, str]]) -> None:
        if repeated:
            for i, item in enumerate(getattr(message, name)):
                if (problem := why(item)) is not None:
                    out.append((f"{path}{name}[{i}]", problem))
        elif message.HasField(name) and (problem := why(getattr(message, name))) is not None:
            out.append((f"{path}{name}", problem))

    return check


def _messages(name: str, repeated: bool) -> Check:
    def check(message: Message, path: str, out: list[tuple[str, str]]) -> None:
        if repeated:
            for i, item in enumerate(getattr(message, name)):
                _walk(item, f"{path}{name}[{i}].", out)
        elif message.HasField(name):
            _walk(getattr(message, name), f"{path}{name}.", out)

    return check


def _maps(name: str, entry: Descriptor) -> Check:
    key_is_text = entry.fields_by_name["key"].type == _STRING
    value = entry.fields_by_name["value"]
    value_is_text = value.type == _STRING
    value_is_message = value.type == _MESSAGE and bool(_plan(value.message_type))

    def check(message: Message, path: str, out: list[tuple[str, str]]) -> None:
        for key, item in getattr(message, name).items():
            where = f"{path}{name}[{excerpt(str(key))}]"
            if key_is_text and (why := control_character(key)) is not None:
                out.append((where, f"key {why}"))
            if value_is_text and (why := control_character(item)) is not None:
                out.append((where, why))
            elif value_is_message:
                _walk(item, f"{where}.", out)

    return check


def _walk(message: Message, path: str, out: list[tuple[str, str]]) -> None:
    for check in _plan(message.DESCRIPTOR):
        check(message, path, out)


def violations(message: Message, path: str = "") -> list[tuple[str, str]]:
    """Every ``(field path, problem)`` of ``message`` under the rules above (``path`` prefixes each)."""
    out: list[tuple[str, str]] = []
    _walk(message, f"{path}." if path else "", out)
    return out


def check(message: Message, path: str = "") -> None:
    """Clear the OUTPUT_ONLY fields of ``message``, then raise ``InvalidArgument`` naming every field
    that breaks the rules above."""
    clear_output_only(message)
    found = violations(message, path)
    if found:
        raise InvalidArgument.many(found)


def has_items(descriptor: Descriptor) -> bool:
    """Whether requests of this type carry a field checked per item (a bulk ingest's records)."""
    from isthmus_client.api.common.v1 import common_pb2

    return any(
        f.GetOptions().Extensions[common_pb2.checked_per_item]  # type: ignore[index]
        for f in descriptor.fields
        if f.type == _MESSAGE and f.is_repeated
    )
