"""Stored JSON is plain JSON that any reader (psql, the standard library) understands."""

from __future__ import annotations

import json

from isthmus.platform import jsoncodec


def test_values_round_trip_and_read_the_same_with_the_standard_library():
    value = {"name": "Zoë Ångström", "n": 3, "score": 8.25, "none": None, "list": [1, "a", [True]]}
    text = jsoncodec.dumps(value)
    assert json.loads(text) == jsoncodec.loads(text) == value
    assert "Zoë" in text  # UTF-8, not \u escapes


def test_integer_keys_become_strings_as_with_the_standard_library():
    assert jsoncodec.loads(jsoncodec.dumps({1: "a"})) == json.loads(json.dumps({1: "a"})) == {"1": "a"}
