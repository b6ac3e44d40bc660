"""Idempotent retries: compare a retried request with the first one under the same key, and say
which of the two a write's response is (house rule 5: ``outcome`` on every write)."""

from __future__ import annotations

from isthmus_client.api.common.v1 import common_pb2

APPLIED = common_pb2.WRITE_OUTCOME_APPLIED
REPLAYED = common_pb2.WRITE_OUTCOME_REPLAYED


def outcome(applied: bool) -> common_pb2.WriteOutcome:
    """APPLIED when the request changed something, REPLAYED when it repeated an earlier one."""
    return APPLIED if applied else REPLAYED


def first_difference(stored: object, given: object, path: str = "") -> str | None:
    """The path of the first field where two request fingerprints differ (None when equal).

    Fingerprints are JSON-like (dicts, lists, scalars). A field absent on one side and empty on the
    other is the same (proto3 cannot tell them apart). The path names the field for the
    ``ALREADY_EXISTS`` message, e.g. ``lines[2].quantity``.
    """
    if isinstance(stored, dict) and isinstance(given, dict):
        for key in list(stored) + [k for k in given if k not in stored]:
            found = first_difference(stored.get(key), given.get(key), f"{path}.{key}" if path else key)
            if found:
                return found
        return None
    if isinstance(stored, list) and isinstance(given, list):
        for i in range(max(len(stored), len(given))):
            a = stored[i] if i < len(stored) else None
            b = given[i] if i < len(given) else None
            found = first_difference(a, b, f"{path}[{i}]")
            if found:
                return found
        return None
    empty: tuple[object, ...] = (None, "", 0, [], {}, False)
    if stored in empty and given in empty:
        return None
    return None if stored == given else path
