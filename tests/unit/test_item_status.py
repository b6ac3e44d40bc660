"""A refused batch item is a google.rpc.Status with the code, message and details its own call would
have ended with (docs/api.md, rule 11), and the client reads it as it reads a refused call."""

from __future__ import annotations

import grpc
from google.rpc import error_details_pb2, status_pb2

from isthmus.kernel.errors import Conflict, InvalidArgument
from isthmus.platform.interceptors import MAX_MESSAGE, item_status
from isthmus_client import rpc_error
from isthmus_client.errors import (
    CONCURRENT_WRITE,
    FIELD_INVALID,
    STATUS_DETAILS_KEY,
    UNKNOWN_SOURCE_SYSTEM,
    code_of,
    error_info,
    field_violations,
)


def test_an_invalid_item_carries_bad_request_and_error_info() -> None:
    refused = InvalidArgument("source_system", "'newsletter' is not configured").because(
        UNKNOWN_SOURCE_SYSTEM, setting="ISTHMUS_CUSTOMERS_SOURCE_SYSTEMS", source_system="newsletter"
    )
    status = item_status(refused)
    assert status.code == grpc.StatusCode.INVALID_ARGUMENT.value[0] == 3
    assert status.message == "source_system: 'newsletter' is not configured"
    bad, info = error_details_pb2.BadRequest(), error_details_pb2.ErrorInfo()
    assert status.details[0].Unpack(bad) and status.details[1].Unpack(info)
    assert [(v.field, v.description) for v in bad.field_violations] == [
        ("source_system", "'newsletter' is not configured")
    ]
    assert (info.domain, info.reason) == ("isthmus", UNKNOWN_SOURCE_SYSTEM)
    assert dict(info.metadata) == {
        "setting": "ISTHMUS_CUSTOMERS_SOURCE_SYSTEMS",
        "source_system": "newsletter",
    }


def test_an_item_that_lost_a_race_is_aborted_with_its_reason_and_no_bad_request() -> None:
    status = item_status(Conflict("a concurrent write to erp/K-1 won; send it again"))
    assert code_of(status) == grpc.StatusCode.ABORTED
    assert error_info(status) == (CONCURRENT_WRITE, {})
    assert field_violations(status) == []
    assert len(status.details) == 1


def test_an_item_message_is_cut_and_escaped_as_a_call_message_is() -> None:
    status = item_status(InvalidArgument("name.family_name", "x" * 2000 + "\n\x1b[31m"))
    assert len(status.message) == MAX_MESSAGE + 3 and status.message.endswith("...")
    assert "\n" not in item_status(InvalidArgument("name", "a\nb")).message


def test_rpc_error_makes_an_item_the_exception_its_call_would_have_raised() -> None:
    status = item_status(InvalidArgument("source_id", "is required"))
    error = rpc_error(status)
    assert isinstance(error, grpc.RpcError)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error.details() == "source_id: is required"
    ((key, value),) = error.trailing_metadata()
    assert key == STATUS_DETAILS_KEY and status_pb2.Status.FromString(value) == status
    assert error_info(error) == error_info(status) == (FIELD_INVALID, {})
    assert field_violations(error) == field_violations(status) == [("source_id", "is required")]
    assert str(error) == "INVALID_ARGUMENT: source_id: is required"
