"""No request, however odd, is a server error: every RPC of every service, on SQLite and PostgreSQL.

Messages are generated from the service descriptors (so a new RPC or field is covered without
touching this file) with the values that crashed handlers before: integers at the edges of their
type (near 2**63 too), Timestamps and Durations outside protobuf's range, enum numbers the proto
does not define, NUL and other control characters in text, huge repeated fields and empty messages.
A call may be refused with any status that names the caller's mistake; INTERNAL, UNKNOWN and
DEADLINE_EXCEEDED are failures.

One hub per backend for the module, in a thread of its own, so that hypothesis drives plain
blocking calls. Examples are bounded to keep the module to a minute or two on a two-core machine.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import descriptor_pool, symbol_database
from google.protobuf.descriptor import Descriptor, FieldDescriptor, MethodDescriptor
from google.protobuf.message import Message
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from isthmus.platform import component, hub
from isthmus.platform.config import Settings
from isthmus_client.api.connectors.v1 import connectors_pb2  # noqa: F401  (registers the descriptors)
from isthmus_client.api.customers.v1 import customers_pb2  # noqa: F401
from isthmus_client.api.loyalty.v1 import loyalty_pb2  # noqa: F401
from isthmus_client.api.operations.v1 import operations_pb2  # noqa: F401
from isthmus_client.api.orders.v1 import orders_pb2  # noqa: F401
from isthmus_client.api.service_requests.v1 import service_requests_pb2  # noqa: F401
from isthmus_client.errors import error_info

pytestmark = pytest.mark.slow

FAILURES = {grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN, grpc.StatusCode.DEADLINE_EXCEEDED}
TIMEOUT = 60.0
EXAMPLES = 25
SOURCE_SYSTEMS = "erp,shop"

INT32 = (0, 1, -1, 7, 2**31 - 1, -(2**31))
INT64 = (0, 1, -1, 2**31, 2**53 + 1, 2**62, 2**63 - 1, -(2**63), -(2**63) + 1)
UINT32 = (0, 1, 2**31, 2**32 - 1)
UINT64 = (0, 1, 2**63 - 1, 2**63, 2**64 - 1)
SECONDS = (0, 1_700_000_000, -62_135_596_801, 253_402_300_800, 2**63 - 1, -(2**63), 315_576_000_001)
NANOS = (0, 1, 999_999_999, 1_000_000_000, -1, 2**31 - 1, -(2**31))
TEXT = (
    "",
    "a",
    "\x00",
    "x\x00y",
    "\x01\x1b[31m\x7f",
    "line\nbreak\t",
    "erp",
    "shop",
    "EUR",
    "12.30",
    "-1",
    "00000000-0000-0000-0000-000000000000",
    "customers:read",
    "anna@example.com",
    "+49 171 234567",
    "é" * 300,
    "x" * 5000,
    '{"forged": true}\n',
)
KINDS = {
    FieldDescriptor.TYPE_INT32: INT32,
    FieldDescriptor.TYPE_SINT32: INT32,
    FieldDescriptor.TYPE_SFIXED32: INT32,
    FieldDescriptor.TYPE_INT64: INT64,
    FieldDescriptor.TYPE_SINT64: INT64,
    FieldDescriptor.TYPE_SFIXED64: INT64,
    FieldDescriptor.TYPE_UINT32: UINT32,
    FieldDescriptor.TYPE_FIXED32: UINT32,
    FieldDescriptor.TYPE_UINT64: UINT64,
    FieldDescriptor.TYPE_FIXED64: UINT64,
}


def _scalar(f: FieldDescriptor, ids: tuple[str, ...] = ()) -> st.SearchStrategy[Any]:
    if f.type in KINDS:
        edges = KINDS[f.type]
        return st.sampled_from(edges) | st.integers(min(edges), max(edges))
    if f.type in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
        return st.sampled_from((0.0, -1.0, 0.5, 1e308, float("inf"), float("nan"))) | st.floats(width=32)
    if f.type == FieldDescriptor.TYPE_BOOL:
        return st.booleans()
    if f.type == FieldDescriptor.TYPE_STRING:
        text = st.sampled_from(TEXT) | st.text(max_size=12)
        if ids and f.name.endswith("_id"):
            # Ids the hub handed out earlier: a request that names something reaches deeper code.
            return st.sampled_from(ids) | st.sampled_from(ids) | text
        return text
    if f.type == FieldDescriptor.TYPE_BYTES:
        return st.binary(max_size=16)
    if f.type == FieldDescriptor.TYPE_ENUM:
        defined = sorted(f.enum_type.values_by_number)
        return st.sampled_from([*defined, -5, max(defined) + 1, 2**31 - 1])
    raise AssertionError(f"no strategy for {f.full_name}")


def _value(f: FieldDescriptor, depth: int, ids: tuple[str, ...]) -> st.SearchStrategy[Any]:
    if f.type != FieldDescriptor.TYPE_MESSAGE:
        return _scalar(f, ids)
    name = f.message_type.full_name
    if name in ("google.protobuf.Timestamp", "google.protobuf.Duration"):
        return st.builds(
            lambda s, n: {"seconds": s, "nanos": n}, st.sampled_from(SECONDS), st.sampled_from(NANOS)
        )
    return messages(f.message_type, depth + 1, ids)


def messages(
    descriptor: Descriptor, depth: int = 0, ids: tuple[str, ...] = ()
) -> st.SearchStrategy[dict[str, Any]]:
    """A message as a dict of field name -> value (a value is a dict for a nested message)."""
    if depth > 3:
        return st.just({})
    optional: dict[str, st.SearchStrategy[Any]] = {}
    for f in descriptor.fields:
        if f.message_type is not None and f.message_type.GetOptions().map_entry:
            key = _scalar(f.message_type.fields_by_name["key"])
            value = _value(f.message_type.fields_by_name["value"], depth, ids)
            optional[f.name] = st.dictionaries(key, value, max_size=3)
        elif f.is_repeated:
            item = _value(f, depth, ids)
            few = st.lists(item, max_size=3)
            if depth:
                optional[f.name] = few
                continue
            # Huge, on the request's own fields: one generated item many times over (generating
            # thousands would be slow; huge fields inside huge fields would not fit in memory).
            huge = st.builds(lambda x, n: [x] * n, item, st.sampled_from((1001, 3000)))
            optional[f.name] = st.one_of(few, few, few, huge)
        else:
            optional[f.name] = _value(f, depth, ids)
    return st.fixed_dictionaries({}, optional=optional)


def build(descriptor: Descriptor, values: dict[str, Any]) -> Message:
    cls = symbol_database.Default().GetSymbol(descriptor.full_name)
    message = cls()
    _fill(message, values)
    return message


def _fill(message: Message, values: dict[str, Any]) -> None:
    fields = message.DESCRIPTOR.fields_by_name
    for name, value in values.items():
        f = fields[name]
        target = getattr(message, name)
        if f.message_type is not None and f.message_type.GetOptions().map_entry:
            for k, v in value.items():
                if isinstance(v, dict):
                    _fill(target[k], v)
                else:
                    target[k] = v
        elif f.is_repeated:
            for item in value:
                if isinstance(item, dict):
                    _fill(target.add(), item)
                else:
                    target.append(item)
        elif isinstance(value, dict):
            _fill(target, value)
            target.SetInParent()
        else:
            setattr(message, name, value)


def _methods() -> list[MethodDescriptor]:
    pool = descriptor_pool.Default()
    names = [s for name in component.REGISTRY for s in component.load(name).services]
    names.append("isthmus.operations.v1.OperationsService")
    return [m for s in names for m in pool.FindServiceByName(s).methods]


METHODS = _methods()


class _HubThread:
    """A hub with every component, served from a thread with its own event loop."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.port = 0
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:
            self._error = exc
            self._ready.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with hub.running(self.settings, list(component.REGISTRY)) as running:
            self.port = running.port
            self._ready.set()
            await self._stop.wait()

    def __enter__(self) -> _HubThread:
        self._thread.start()
        self._ready.wait(300)
        if self._error is not None:
            raise self._error
        return self

    def __exit__(self, *_: object) -> None:
        assert self._loop is not None and self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(60)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def hub_channel(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[grpc.Channel, set[str]]]:
    data_dir: Path = tmp_path_factory.mktemp("boundary")
    url = request.getfixturevalue("pg_module_database") if request.param == "postgresql" else None
    settings = Settings(
        database_url=url,
        data_dir=data_dir,
        grpc_host="127.0.0.1",
        grpc_port=0,
        metrics_port=0,
        auth_disabled=True,
        shutdown_grace_seconds=1,
        extra={"ISTHMUS_CUSTOMERS_SOURCE_SYSTEMS": SOURCE_SYSTEMS},
    )
    with _HubThread(settings) as running:
        options = [("grpc.max_send_message_length", 64 * 1024 * 1024)]
        with grpc.insecure_channel(f"127.0.0.1:{running.port}", options=options) as ch:
            yield ch, set()


def _harvest(message: Message, ids: set[str]) -> None:
    """Collect the ids a response carries, for later requests to name."""
    for f, value in message.ListFields():
        if f.type == FieldDescriptor.TYPE_STRING and f.name.endswith("_id") and not f.is_repeated:
            if len(ids) < 200:
                ids.add(value)
        elif f.type == FieldDescriptor.TYPE_MESSAGE and not f.message_type.GetOptions().map_entry:
            for item in value if f.is_repeated else (value,):
                _harvest(item, ids)


def _call(
    channel: grpc.Channel, method: MethodDescriptor, requests: list[Message], ids: set[str]
) -> grpc.StatusCode:
    path = f"/{method.containing_service.full_name}/{method.name}"
    response_type = symbol_database.Default().GetSymbol(method.output_type.full_name)
    kwargs = {
        "request_serializer": lambda m: m.SerializeToString(),
        "response_deserializer": response_type.FromString,
    }
    try:
        if method.client_streaming and method.server_streaming:
            for response in channel.stream_stream(path, **kwargs)(iter(requests), timeout=TIMEOUT):
                _harvest(response, ids)
        elif method.client_streaming:
            _harvest(channel.stream_unary(path, **kwargs)(iter(requests), timeout=TIMEOUT), ids)
        elif method.server_streaming:
            for response in channel.unary_stream(path, **kwargs)(requests[0], timeout=TIMEOUT):
                _harvest(response, ids)
        else:
            _harvest(channel.unary_unary(path, **kwargs)(requests[0], timeout=TIMEOUT), ids)
    except grpc.RpcError as error:
        assert error.code() not in FAILURES, f"{path} answered {error.code().name}: {error.details()}"
        # Every refusal of the service names its reason; gRPC's own size limit is the one it cannot.
        reason, _ = error_info(error)
        assert reason or error.code() is grpc.StatusCode.RESOURCE_EXHAUSTED, (
            f"{path} answered {error.code().name} without an ErrorInfo: {error.details()}"
        )
        return error.code()
    return grpc.StatusCode.OK


@pytest.mark.postgres
@pytest.mark.parametrize("method", METHODS, ids=lambda m: f"{m.containing_service.name}.{m.name}")
def test_no_request_is_a_server_error(
    hub_channel: tuple[grpc.Channel, set[str]], method: MethodDescriptor
) -> None:
    channel, ids = hub_channel
    known = tuple(sorted(ids - {""}))

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
    )
    @given(st.lists(messages(method.input_type, ids=known), min_size=1, max_size=2))
    def each(values: list[dict[str, Any]]) -> None:
        _call(channel, method, [build(method.input_type, v) for v in values], ids)

    # The empty message first: every RPC must cope with all fields unset.
    _call(channel, method, [build(method.input_type, {})], ids)
    each()
