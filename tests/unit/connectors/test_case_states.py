"""The moves that bring a hub case to the state its source gives, along the case workflow."""

from __future__ import annotations

from isthmus.connectors.mapping import RESOLVED_IN_SOURCE, change_service_request_states
from isthmus_client.api.service_requests.v1 import service_request_pb2 as srp

RECORD = {
    "external_id": "complaint-C1",
    "customer_source_id": "K1",
    "kind": "complaint",
    "subject": "Damaged parcel",
    "opened_at": "2024-05-03T10:15:00+02:00",
}


def case(state: int, version: int = 1) -> srp.ServiceRequest:
    return srp.ServiceRequest(service_request_id="sr-1", state=state, version=version)


def moves(now: int, version: int = 1, **record: str) -> list[tuple[str, str, str]]:
    """(target state, resolution code, request id) of each move from a case in state ``now``."""
    found = change_service_request_states("callcenter", "cc", case(now, version), {**RECORD, **record})
    return [(srp.ServiceRequestState.Name(m.target_state), m.resolution_code, m.request_id) for m in found]


def test_a_new_case_closed_in_the_source_passes_every_state_on_the_way() -> None:
    found = moves(srp.SERVICE_REQUEST_STATE_NEW, state="closed", resolution_code="REFUNDED")
    assert [(s, code) for s, code, _ in found] == [
        ("SERVICE_REQUEST_STATE_OPEN", ""),
        ("SERVICE_REQUEST_STATE_RESOLVED", "REFUNDED"),
        ("SERVICE_REQUEST_STATE_CLOSED", ""),
    ]
    assert len({key for _, _, key in found}) == 3, "each move its own request id"


def test_no_state_no_move_and_nothing_leads_back_to_new() -> None:
    assert moves(srp.SERVICE_REQUEST_STATE_OPEN) == []
    assert moves(srp.SERVICE_REQUEST_STATE_OPEN, state="new") == []
    assert moves(srp.SERVICE_REQUEST_STATE_RESOLVED, state="resolved") == []
    assert moves(srp.SERVICE_REQUEST_STATE_CLOSED, state="resolved") == [], "closed is past resolved"


def test_a_reopened_case_moves_again_under_a_new_request_id() -> None:
    [(state, _, first)] = moves(srp.SERVICE_REQUEST_STATE_RESOLVED, version=3, state="open")
    assert state == "SERVICE_REQUEST_STATE_OPEN"
    [(state, code, second)] = moves(srp.SERVICE_REQUEST_STATE_OPEN, version=4, state="resolved")
    assert (state, code) == ("SERVICE_REQUEST_STATE_RESOLVED", RESOLVED_IN_SOURCE), "resolved without a code"
    [(_, _, retried)] = moves(srp.SERVICE_REQUEST_STATE_OPEN, version=4, state="resolved")
    assert retried == second != first, "the same move from the same version is a replay"


def test_the_source_time_and_note_go_with_the_move() -> None:
    [move] = change_service_request_states(
        "callcenter",
        "cc",
        case(srp.SERVICE_REQUEST_STATE_PENDING_CUSTOMER),
        {**RECORD, "state": "resolved", "updated_at": "2024-05-04T09:00:00+00:00", "resolution_note": "paid"},
    )
    assert move.occur_time.ToJsonString() == "2024-05-04T09:00:00Z" and move.note == "paid"
    assert move.actor.id == "cc"
