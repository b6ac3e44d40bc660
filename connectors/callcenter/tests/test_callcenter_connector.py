from pathlib import Path

from isthmus_connector_callcenter import CallCenterConnector
from isthmus_connector_callcenter.simulator import CallCenterSimulator

from isthmus.connectors import BadRecord, Checkpoint, StreamState
from isthmus.connectors.testkit import connector_test_class

TestCallCenter = connector_test_class(CallCenterConnector, source=CallCenterSimulator)


def read(sim: CallCenterSimulator, stream: str, state: StreamState | None = None) -> tuple[list, StreamState]:
    items = list(CallCenterConnector(sim.config()).read(stream, state or StreamState()))
    checkpoints = [i.state for i in items if isinstance(i, Checkpoint)]
    return [i for i in items if not isinstance(i, Checkpoint)], (checkpoints[-1] if checkpoints else state)


def test_half_written_file_waits_for_its_done_marker(tmp_path: Path) -> None:
    sim = CallCenterSimulator(tmp_path, seed=0)
    path = sim.drop("callers", [sim.caller("K1", "Meier, Hans")], complete=False)
    records, state = read(sim, "customers")
    assert records == []
    path.with_name(path.name + ".done").touch()
    records, _ = read(sim, "customers", state)
    assert [r["source_id"] for r in records] == ["K1"]
    assert records[0]["name"] == {"family_name": "Meier", "given_name": "Hans"}


def test_malformed_line_is_reported_and_the_rest_of_the_file_is_read(tmp_path: Path) -> None:
    sim = CallCenterSimulator(tmp_path, seed=0)
    sim.drop("calls", [sim.call("C1", "K1"), ["C2", "K1", "too", "short"], sim.call("C3", "K1")])
    records, _ = read(sim, "interactions")
    bad = [r for r in records if isinstance(r, BadRecord)]
    assert [r["external_id"] for r in records if isinstance(r, dict)] == ["C1", "C3"]
    assert bad[0].reason.endswith(":3: 4 fields, expected 9")


def test_redropped_file_is_skipped_unless_its_content_changed(tmp_path: Path) -> None:
    sim = CallCenterSimulator(tmp_path, seed=0)
    sim.drop("callers", [sim.caller("K1", "Meier, Hans")], name="callers_1.csv")
    _, state = read(sim, "customers")
    sim.drop("callers", [sim.caller("K1", "Meier, Hans")], name="callers_1.csv")
    assert read(sim, "customers", state)[0] == []
    sim.drop("callers", [sim.caller("K1", "Meier, Hans-Peter")], name="callers_1.csv")
    assert [r["name"]["given_name"] for r in read(sim, "customers", state)[0]] == ["Hans-Peter"]


def test_complaint_call_becomes_a_case_and_an_interaction_in_its_thread(tmp_path: Path) -> None:
    sim = CallCenterSimulator(tmp_path, seed=0)
    sim.drop(
        "calls", [sim.call("C9", "K1", complaint=True, topic="Damaged parcel", started="03.05.2024 10:15")]
    )
    (case,), _ = read(sim, "service_requests")
    (call,), _ = read(sim, "interactions")
    assert (case["kind"], case["subject"], case["opened_at"]) == (
        "complaint",
        "Damaged parcel",
        "2024-05-03T10:15:00+02:00",
    )
    assert call["service_request_external_id"] == case["external_id"]
    assert "state" not in case, "an open complaint leaves the case's workflow to the hub"


def test_a_complaint_resolved_later_comes_again_resolved(tmp_path: Path) -> None:
    sim = CallCenterSimulator(tmp_path, seed=0)
    sim.drop("calls", [sim.call("C9", "K1", complaint=True, topic="Damaged parcel")])
    (opened,), state = read(sim, "service_requests")
    sim.drop("calls", [sim.call("C9", "K1", complaint=True, resolved=True, topic="Damaged parcel")])
    (resolved,), _ = read(sim, "service_requests", state)
    assert resolved["external_id"] == opened["external_id"]
    assert (resolved["state"], resolved["resolution_code"]) == ("resolved", "RESOLVED_BY_CALL_CENTER")
    calls, _ = read(sim, "interactions")
    assert [c["service_request_external_id"] for c in calls] == [opened["external_id"]] * 2, (
        "the call is in its complaint's thread, resolved or not"
    )
