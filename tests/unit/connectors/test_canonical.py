"""The canonical schemas' two checks agree: the compiled one that every record passes first, and the
full validator that words the problems (services/isthmus/connectors/canonical.py)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from isthmus.connectors import canonical
from isthmus.connectors.sdk import CANONICAL_STREAMS

_JUNK = (
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.floats(allow_nan=True)
    | st.text(max_size=6)
    | st.lists(st.integers(0, 1), max_size=2)
    | st.dictionaries(st.text(max_size=3), st.integers(0, 1), max_size=2)
)
_DATE_TIMES = st.sampled_from(
    [
        "2024-01-01T00:00:00+00:00",
        "2024-01-01T00:00:00Z",
        "2024-01-01T10:00:00.123456-05:30",
        "2024-01-01T00:00:00",  # no offset
        "2024-01-01",
        "2024-02-30T00:00:00+00:00",
        "2024-01-01T00:00:00+00:00\n",
        "garbage",
        "",
    ]
)


def _mostly(wanted: st.SearchStrategy[Any], other: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``wanted`` nine times in ten (``one_of`` would not weigh it: it keeps one copy of each)."""
    return st.integers(0, 9).flatmap(lambda n: other if n == 0 else wanted)


def _values(node: dict[str, Any], defs: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values for a schema node: mostly what it asks for (with its edge cases), sometimes junk."""
    if "$ref" in node:
        node = defs[node["$ref"].rsplit("/", 1)[-1]]
    kind = node.get("type")
    wanted: st.SearchStrategy[Any]
    if "enum" in node:
        wanted = st.sampled_from(node["enum"]) | st.sampled_from([e.upper() for e in node["enum"]])
    elif kind == "string" and node.get("format") == "date-time":
        wanted = _DATE_TIMES
    elif kind == "string" and "pattern" in node:
        wanted = _mostly(st.from_regex(node["pattern"]), st.text(max_size=12))
    elif kind == "string":
        wanted = st.text(max_size=node.get("maxLength", 20) + 2)
    elif kind == "integer":
        wanted = st.integers(-2, 5) | st.sampled_from([1.0, 2.5, True])
    elif kind == "boolean":
        wanted = st.booleans() | st.sampled_from([0, 1])
    elif kind == "array":
        most = node.get("maxItems", 3) + 1
        wanted = st.lists(_values(node.get("items", {}), defs), max_size=min(most, 22))
    elif kind == "object":
        properties = node.get("properties", {})
        required = {k: _values(properties[k], defs) for k in node.get("required", [])}
        optional = {k: _values(v, defs) for k, v in properties.items() if k not in required}
        extra = node.get("additionalProperties", True)
        wanted = st.fixed_dictionaries(required, optional=optional)
        if isinstance(extra, dict):
            wanted = st.tuples(wanted, st.dictionaries(st.text(max_size=4), _values(extra, defs), max_size=2))
            wanted = wanted.map(lambda pair: {**pair[1], **pair[0]})
        # Now and then a required field missing, or a field the schema does not know.
        broken = st.fixed_dictionaries({}, optional={**required, **optional, "unknown": _JUNK})
        wanted = _mostly(wanted, broken)
    else:
        wanted = _JUNK
    # Junk one time in ten: a record often has one problem alone, the case where a laxer compiled
    # check would pass it.
    return _mostly(wanted, _JUNK)


@pytest.mark.parametrize("stream", sorted(CANONICAL_STREAMS))
def test_the_compiled_check_passes_only_what_the_full_validator_passes(stream: str) -> None:
    schema = canonical.schema(stream)
    records = _values(schema, schema.get("$defs", {}))

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(records)
    def agree(record: Any) -> None:
        assert canonical.problems(stream, record) == canonical.full_problems(stream, record)

    agree()


def test_a_valid_record_passes_and_an_invalid_one_gets_every_problem_in_the_full_validators_words() -> None:
    valid = {
        "source_id": "c-1",
        "name": {"given_name": "Ana", "family_name": "Pérez"},
        "emails": [{"address": "ana@example.com", "kind": "personal", "primary": True}],
        "date_of_birth": "1980-02-03",
        "updated_at": "2024-01-01T00:00:00+01:00",
        "consents": [{"channel": "email", "status": "granted", "given_at": "2024-01-01T00:00:00Z"}],
    }
    assert canonical.problems("customers", valid) == []
    invalid = {**valid, "updated_at": "2024-01-01T00:00:00", "emails": [{"address": "", "kind": "x"}]}
    assert canonical.problems("customers", invalid) == canonical.full_problems("customers", invalid)
    assert len(canonical.problems("customers", invalid)) == 3


def test_every_shipped_schema_is_checked_by_compiled_code() -> None:
    # A keyword or format outside what both validators read alike sends a stream to the slow path.
    assert all(canonical.compilable(canonical.schema(s)) for s in CANONICAL_STREAMS)


def test_a_keyword_the_compiled_check_may_not_read_alike_leaves_the_schema_to_the_full_validator() -> None:
    strict = {"type": "object", "properties": {"a": {"type": "string"}}, "unevaluatedProperties": False}
    assert not canonical.compilable(strict)
    assert not canonical.compilable({"type": "object", "properties": {"e": {"format": "email"}}})
    assert not canonical.compilable({"type": "array", "items": {"dependentRequired": {}}})
    assert canonical.compilable({"type": "array", "items": {"$ref": "#/$defs/x"}, "$defs": {"x": {}}})
