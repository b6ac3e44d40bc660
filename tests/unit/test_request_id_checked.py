"""A request's ``request_id`` is checked before anything is remembered by it."""

from __future__ import annotations

import pytest

from isthmus.kernel.errors import InvalidArgument
from isthmus.platform.requests import MAX_LENGTH, request_id
from isthmus_client.api.service_requests.v1 import service_requests_pb2 as rpc


def _sent(value: str) -> rpc.OpenServiceRequestRequest:
    return rpc.OpenServiceRequestRequest(customer_id="c-1", request_id=value)


@pytest.mark.parametrize("value", ["", "a", "0b1c-2d3e", "!~", "x" * MAX_LENGTH, "A.b_c:d/e=f+g"])
def test_printable_ascii_without_spaces_up_to_the_length_is_taken(value: str) -> None:
    assert request_id(_sent(value)) == value


@pytest.mark.parametrize(
    "value",
    ["x" * (MAX_LENGTH + 1), "a b", " a", "a\t", "a\n", "a\x7f", "a\x00", "é", "a\u00a0b", "\u2028"],
)
def test_anything_else_is_refused_naming_the_field(value: str) -> None:
    with pytest.raises(InvalidArgument) as raised:
        request_id(_sent(value))
    assert raised.value.field == "request_id"
