"""The checked-in API code matches the protos, and the protos keep the API's conventions."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest
from google.protobuf import descriptor_pb2
from google.protobuf.descriptor import FileDescriptor

from isthmus.platform import protogen
from isthmus_client.api.common.v1 import common_pb2

CONTEXTS = ("customers", "orders", "service_requests", "loyalty", "value", "operations", "connectors")
SCOPE_RE = re.compile(rf"^({'|'.join(CONTEXTS)}):(read|write|admin)$")
# Methods any valid token may call whatever its scopes: the caller asking who it is.
ANY_TOKEN = {"isthmus.operations.v1.OperationsService.GetCaller"}


def _modules(context: str) -> list[str]:
    folder = protogen.PROTO_ROOT / "isthmus" / context / "v1"
    return [f"isthmus_client.api.{context}.v1.{p.stem}_pb2" for p in sorted(folder.glob("*.proto"))]


def _file(module: str) -> FileDescriptor:
    return importlib.import_module(module).DESCRIPTOR


def test_checked_in_code_is_what_the_protos_generate(tmp_path: Path) -> None:
    protogen.generate(tmp_path)
    assert protogen.differences(tmp_path, protogen.CLIENT_ROOT) == []


def test_check_reports_a_changed_file(tmp_path: Path) -> None:
    protogen.generate(tmp_path)
    target = tmp_path / "api" / "orders" / "v1" / "orders_pb2.py"
    target.write_text(target.read_text() + "# edited\n")
    proto = tmp_path / "proto" / "isthmus" / "orders" / "v1" / "orders.proto"
    proto.write_text(proto.read_text() + "// edited\n")
    assert protogen.differences(protogen.CLIENT_ROOT, tmp_path) == [
        "api/orders/v1/orders_pb2.py",
        "proto/isthmus/orders/v1/orders.proto",
    ]


def test_generated_imports_point_into_the_client_package() -> None:
    offenders = [
        str(path)
        for path in (*protogen.API_ROOT.rglob("*.py"), *protogen.API_ROOT.rglob("*.pyi"))
        if re.search(r"^\s*(from|import) isthmus\.", path.read_text(), re.MULTILINE)
    ]
    assert offenders == []


@pytest.mark.parametrize("context", CONTEXTS)
def test_every_rpc_declares_a_known_scope_of_its_context(context: str) -> None:
    services = [s for m in _modules(context) for s in _file(m).services_by_name.values()]
    assert services, f"no service in {context}"
    for service in services:
        for method in service.methods:
            scope = method.GetOptions().Extensions[common_pb2.required_scope]
            if method.full_name in ANY_TOKEN:
                assert scope == "authenticated", method.full_name
                continue
            assert SCOPE_RE.match(scope), f"{method.full_name}: scope {scope!r}"
            assert scope.split(":")[0] == context, f"{method.full_name}: scope {scope!r}"


EVENT_CONTEXTS = ("customers", "orders", "service_requests", "loyalty", "value")


@pytest.mark.parametrize("context", EVENT_CONTEXTS)
def test_every_event_payload_declares_its_routing_key(context: str) -> None:
    module = importlib.import_module(f"isthmus_client.api.events.v1.{context}_pb2")
    messages = list(module.DESCRIPTOR.message_types_by_name.values())
    assert messages
    for message in messages:
        event_type = message.GetOptions().Extensions[common_pb2.event_type]
        assert event_type == f"{context}.{message.name}", message.full_name
        # The class is importable and round-trips (what the outbox and the consumers do).
        cls = getattr(module, message.name)
        assert cls.FromString(cls().SerializeToString()) == cls()


def test_events_folder_holds_only_the_envelope_and_one_file_per_context() -> None:
    names = {p.stem for p in (protogen.PROTO_ROOT / "isthmus" / "events" / "v1").glob("*.proto")}
    assert names == {"envelope", *EVENT_CONTEXTS}


@pytest.mark.parametrize("context", (*CONTEXTS, "common", "events"))
def test_enums_start_with_an_unspecified_zero(context: str) -> None:
    for module in _modules(context):
        proto = descriptor_pb2.FileDescriptorProto()
        _file(module).CopyToProto(proto)
        enums = list(proto.enum_type)
        stack = list(proto.message_type)
        while stack:
            message = stack.pop()
            enums.extend(message.enum_type)
            stack.extend(message.nested_type)
        for enum in enums:
            assert enum.value[0].number == 0 and enum.value[0].name.endswith("_UNSPECIFIED"), enum.name


@pytest.mark.parametrize("context", CONTEXTS)
def test_list_rpcs_page(context: str) -> None:
    for module in _modules(context):
        for service in _file(module).services_by_name.values():
            for method in service.methods:
                if not method.name.startswith(("List", "Search")):
                    continue
                request = {f.name for f in method.input_type.fields}
                response = {f.name for f in method.output_type.fields}
                assert {"page_size", "page_token"} <= request, method.full_name
                assert "next_page_token" in response, method.full_name


def test_scopes_table_in_docs_matches_the_protos() -> None:
    declared: dict[str, set[str]] = {}
    for context in CONTEXTS:
        for module in _modules(context):
            for service in _file(module).services_by_name.values():
                for method in service.methods:
                    scope = method.GetOptions().Extensions[common_pb2.required_scope]
                    if method.full_name not in ANY_TOKEN:
                        declared.setdefault(scope, set()).add(method.name)
    text = (protogen.REPO_ROOT / "docs" / "api.md").read_text()
    section = text.split("## Scopes", 1)[1].split("\n## ", 1)[0]
    documented = {
        match[1]: {name.strip() for name in match[2].split(",")}
        for match in re.finditer(r"^\| `([a-z_]+:[a-z]+)` \| (.+?) \|$", section, re.MULTILINE)
    }
    assert documented == declared


# Writes whose responses say their outcome per record (MatchOutcome, UNCHANGED for a replay), and reads
# that need more than a read scope (a check a writer makes, an export of personal data).
OUTCOME_OF_ITS_OWN = {
    "isthmus.customers.v1.CustomerMasterService.ExportCustomer",
    "isthmus.customers.v1.CustomerMasterService.UpsertSourceRecord",
    "isthmus.customers.v1.CustomerMasterService.BatchUpsertSourceRecords",
    "isthmus.customers.v1.CustomerMasterService.StreamSourceRecords",
    "isthmus.orders.v1.OrderService.ValidateCoupon",
    "isthmus.value.v1.SegmentService.DryRunSegment",
}


def test_every_write_says_whether_it_applied_or_replayed() -> None:
    """House rule 5: the response of every rpc that needs more than a read scope has
    ``isthmus.common.v1.WriteOutcome outcome``."""
    missing = []
    for context in CONTEXTS:
        for module in _modules(context):
            for service in _file(module).services_by_name.values():
                for method in service.methods:
                    scope = method.GetOptions().Extensions[common_pb2.required_scope]
                    if scope.endswith(":read") or method.full_name in OUTCOME_OF_ITS_OWN | ANY_TOKEN:
                        continue
                    field = method.output_type.fields_by_name.get("outcome")
                    if (
                        field is None
                        or field.enum_type is None
                        or field.enum_type.full_name != ("isthmus.common.v1.WriteOutcome")
                    ):
                        missing.append(method.full_name)
    assert missing == []


# House rule 4: writes that carry the identity of what they write, or are idempotent by what they
# say, take no request_id (docs/api.md lists each with its reason).
RETRY_SAFE_BY_CONTENT = {
    "isthmus.customers.v1.CustomerMasterService.UpsertSourceRecord",
    "isthmus.customers.v1.CustomerMasterService.BatchUpsertSourceRecords",
    "isthmus.customers.v1.CustomerMasterService.StreamSourceRecords",
    "isthmus.customers.v1.CustomerMasterService.SetConsent",
    "isthmus.customers.v1.CustomerMasterService.ResolveMatchReview",
    "isthmus.customers.v1.CustomerMasterService.ExportCustomer",
    "isthmus.orders.v1.OrderService.CreateOrder",
    "isthmus.orders.v1.OrderService.CreateCoupon",
    "isthmus.orders.v1.OrderService.ReceiveStock",
    "isthmus.service_requests.v1.ScriptService.PublishScript",
    "isthmus.service_requests.v1.ScriptService.AnswerScriptStep",
    "isthmus.service_requests.v1.ScriptService.BackScriptStep",
    "isthmus.service_requests.v1.ScriptService.AbandonScriptRun",
    "isthmus.service_requests.v1.ScriptService.AssignCall",
    "isthmus.value.v1.CampaignService.RecordAbandonedCart",
    "isthmus.value.v1.ValueService.RefitValueModel",
    "isthmus.operations.v1.OperationsService.ReplayDeadLetters",
    "isthmus.operations.v1.OperationsService.DiscardDeadLetters",
    "isthmus.connectors.v1.ConnectorService.ReplayConnectorDeadLetters",
    "isthmus.connectors.v1.ConnectorService.DiscardConnectorDeadLetters",
}


def test_every_write_takes_a_request_id_unless_its_content_makes_it_safe_to_retry() -> None:
    """House rule 4: one retry mechanism, ``string request_id``, on every rpc that changes something."""
    missing, needless = [], []
    for context in CONTEXTS:
        for module in _modules(context):
            for service in _file(module).services_by_name.values():
                for method in service.methods:
                    scope = method.GetOptions().Extensions[common_pb2.required_scope]
                    if scope.endswith(":read") or method.full_name in ANY_TOKEN:
                        continue
                    field = method.input_type.fields_by_name.get("request_id")
                    has = field is not None and field.type == field.TYPE_STRING
                    if method.full_name in RETRY_SAFE_BY_CONTENT:
                        if has:
                            needless.append(method.full_name)
                    elif not has:
                        missing.append(method.full_name)
                    for name in ("idempotency_key", "return_id"):
                        assert name not in method.input_type.fields_by_name, method.full_name
    assert (missing, needless) == ([], [])
