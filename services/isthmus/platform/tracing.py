"""Tracing with OpenTelemetry: off unless the standard ``OTEL_*`` variables switch it on.

Where the spans come from (docs/operating.md, "Traces"):

* the chassis starts a SERVER span around every RPC, continuing the caller's W3C ``traceparent``;
* :func:`client_interceptors` start a CLIENT span around every call a channel makes and send the
  ``traceparent`` along;
* :func:`instrument_engine` adds a span per SQL statement run inside a trace;
* the outbox stores the ``traceparent`` of the work that recorded an event; the relay publishes it
  in a PRODUCER span whose context travels in the AMQP headers; the consumer handles each event in a
  CONSUMER span that continues it;
* the connector engine traces each sync and each batch it delivers.

When tracing is off, :func:`enabled` is False and every hook above is left out where it is wired
(chosen once, when a handler, engine or channel is set up), so the hot paths pay nothing.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import grpc
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.propagators.textmap import Getter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
)
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.sdk.trace.sampling import ParentBasedTraceIdRatio, Sampler, TraceIdRatioBased
from opentelemetry.trace import (
    Link,
    NonRecordingSpan,
    Span,
    SpanContext,
    SpanKind,
    Status,
    StatusCode,
    TraceFlags,
    Tracer,
)
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from isthmus.platform.config import ConfigError
from isthmus.platform.metrics import version

log = logging.getLogger("isthmus.tracing")

TRACEPARENT = "traceparent"
TRACESTATE = "tracestate"
EXPORTERS = ("otlp", "console")
_PROPAGATOR = TraceContextTextMapPropagator()
_NOOP: Tracer = trace.NoOpTracer()


class _Ids(RandomIdGenerator):
    """Ids as the SDK makes them, except a trace id the chassis drew for a new trace the sampler
    keeps (``ServerSpans.start``): handed over, per thread, to the span the SDK then starts."""

    def __init__(self) -> None:
        self._handed = threading.local()

    def draw(self) -> int:
        return super().generate_trace_id()

    def hand_over(self, trace_id: int) -> None:
        self._handed.trace_id = trace_id

    def generate_trace_id(self) -> int:
        handed: int = getattr(self._handed, "trace_id", 0)
        if handed:
            self._handed.trace_id = 0
            return handed
        return self.draw()


class _NewTraces:
    """How the sampler decides a new trace (one no caller started), when it decides by ratio."""

    def __init__(self, ids: _Ids, rate: float) -> None:
        self.ids = ids
        self.bound = TraceIdRatioBased.get_bound_for_rate(rate)
        # What the SDK's span of a dropped new trace carries: not sampled; its trace id random.
        self.dropped = TraceFlags(TraceFlags.DEFAULT | TraceFlags.RANDOM_TRACE_ID)


class _State:
    tracer: Tracer = _NOOP
    provider: TracerProvider | None = None
    new_traces: _NewTraces | None = None


_state = _State()


def enabled() -> bool:
    return _state.provider is not None


def tracer() -> Tracer:
    return _state.tracer


# -- set-up -------------------------------------------------------------------------------------


def exporters_from(environ: Mapping[str, str]) -> list[str]:
    """Which exporters the standard variables ask for; empty means tracing stays off.

    ``OTEL_TRACES_EXPORTER`` (``otlp``, ``console``, ``none``, comma-separated) decides; unset, an
    ``OTEL_EXPORTER_OTLP_ENDPOINT`` or ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` means ``otlp``.
    ``OTEL_SDK_DISABLED=true`` turns everything off. Raises ConfigError for a value we cannot honour.
    """
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return []
    raw = environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if not raw:
        endpoints = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        return ["otlp"] if any(environ.get(name, "").strip() for name in endpoints) else []
    names = [n.strip() for n in raw.split(",") if n.strip()]
    if names == ["none"]:
        return []
    sampler_ratio(environ)
    unknown = [n for n in names if n not in EXPORTERS]
    if unknown:
        raise ConfigError(
            f"OTEL_TRACES_EXPORTER: unsupported exporter {unknown[0]!r}; use otlp, console or none"
        )
    if "otlp" in names:
        protocol = (
            environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
            or environ.get("OTEL_EXPORTER_OTLP_PROTOCOL")
            or "grpc"
        ).strip()
        if protocol != "grpc":
            raise ConfigError(
                f"OTEL_EXPORTER_OTLP_PROTOCOL {protocol!r} is not supported: Isthmus exports OTLP over "
                "grpc (port 4317 of an OpenTelemetry Collector, Jaeger, Tempo)"
            )
    return names


_RATIO_SAMPLERS = ("traceidratio", "parentbased_traceidratio")


def sampler_ratio(environ: Mapping[str, str]) -> float | None:
    """The share of new traces sampled when ``OTEL_TRACES_SAMPLER`` names a ratio sampler (1.0 when
    ``OTEL_TRACES_SAMPLER_ARG`` is unset), else None. Raises ConfigError for an argument that is not
    a ratio: the SDK would sample every trace instead, at many times the cost."""
    if environ.get("OTEL_TRACES_SAMPLER", "").strip().lower() not in _RATIO_SAMPLERS:
        return None
    raw = environ.get("OTEL_TRACES_SAMPLER_ARG", "").strip()
    try:
        rate = float(raw) if raw else 1.0
    except ValueError:
        rate = -1.0
    if not 0.0 <= rate <= 1.0:
        raise ConfigError(
            f"OTEL_TRACES_SAMPLER_ARG: {raw!r} is not a ratio from 0 to 1 (the share of new traces sampled)"
        )
    return rate


def _sampler(environ: Mapping[str, str], rate: float | None) -> Sampler | None:
    """The ratio sampler ``environ`` asks for, at ``rate`` (its ``sampler_ratio``); None leaves the
    choice to the SDK."""
    if rate is None:
        return None
    parent_based = environ["OTEL_TRACES_SAMPLER"].strip().lower() == "parentbased_traceidratio"
    return ParentBasedTraceIdRatio(rate) if parent_based else TraceIdRatioBased(rate)


def configure(
    service_name: str,
    environ: Mapping[str, str] | None = None,
    *,
    exporter: SpanExporter | None = None,
) -> bool:
    """Start tracing if the ``OTEL_*`` variables (or a given ``exporter``) ask for it; returns whether.

    ``service_name`` is the default ``service.name``; ``OTEL_SERVICE_NAME`` or a ``service.name`` in
    ``OTEL_RESOURCE_ATTRIBUTES`` wins. The sampler comes from ``OTEL_TRACES_SAMPLER`` (default:
    every trace a caller did not decline), the OTLP endpoint and headers from
    ``OTEL_EXPORTER_OTLP_*``. A test passes an in-memory ``exporter``: spans then reach it as each
    ends, with no background thread.
    """
    env = os.environ if environ is None else environ
    names = [] if exporter is not None else exporters_from(env)
    if exporter is None and not names:
        return False
    shutdown()
    resource = Resource.create({"service.version": version()})
    if str(resource.attributes.get("service.name", "")).startswith("unknown_service"):
        resource = resource.merge(Resource({"service.name": service_name}))
    ids = _Ids()
    rate = sampler_ratio(env)
    provider = TracerProvider(resource=resource, sampler=_sampler(env, rate), id_generator=ids)
    _state.new_traces = _NewTraces(ids, rate) if rate is not None else None
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    for name in names:
        provider.add_span_processor(BatchSpanProcessor(_exporter(name)))
    _state.provider = provider
    _state.tracer = provider.get_tracer("isthmus", version())
    if isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
        # Libraries that trace through the global API join the same traces.
        trace.set_tracer_provider(provider)
    log.info(
        "tracing on: %s, service %s",
        ", ".join(names) or type(exporter).__name__,
        resource.attributes.get("service.name"),
    )
    return True


def _exporter(name: str) -> SpanExporter:
    if name == "console":
        return ConsoleSpanExporter()
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter()


def shutdown() -> None:
    """Flush and stop the exporters (at process exit, and before a test configures its own)."""
    provider, _state.provider, _state.tracer = _state.provider, None, _NOOP
    _state.new_traces = None
    if provider is not None:
        provider.shutdown()


# -- context ------------------------------------------------------------------------------------


def extract(carrier: Mapping[str, Any] | None) -> otel_context.Context | None:
    """The remote parent in W3C headers (``traceparent``, ``tracestate``), or None."""
    if not carrier or TRACEPARENT not in carrier:
        return None
    return _PROPAGATOR.extract(carrier, getter=_GETTER)


def span_context(carrier: Mapping[str, Any] | None) -> SpanContext | None:
    """The remote span in W3C headers, to link work done for it (a batch), or None."""
    parent = extract(carrier)
    if parent is None:
        return None
    found = trace.get_current_span(parent).get_span_context()
    return found if found.is_valid else None


class _Getter(Getter[Mapping[str, Any]]):
    def get(self, carrier: Mapping[str, Any], key: str) -> list[str] | None:
        value = carrier.get(key)
        if value is None:
            return None
        return [value.decode() if isinstance(value, bytes) else str(value)]

    def keys(self, carrier: Mapping[str, Any]) -> list[str]:
        return list(carrier)


_GETTER = _Getter()


def headers(span: Span | None = None) -> dict[str, str]:
    """W3C headers naming ``span`` (default: the current one) as the parent; empty outside a trace."""
    carrier: dict[str, str] = {}
    if _state.provider is not None:
        ctx = trace.set_span_in_context(span) if span is not None else None
        _PROPAGATOR.inject(carrier, context=ctx)
    return carrier


@contextmanager
def span(
    name: str,
    *,
    kind: SpanKind = SpanKind.INTERNAL,
    parent: otel_context.Context | None = None,
    attributes: Mapping[str, Any] | None = None,
    links: Sequence[Link] = (),
) -> Iterator[Span]:
    """A span made current for the block; an exception marks it failed and propagates."""
    started = _state.tracer.start_span(name, context=parent, kind=kind, attributes=attributes, links=links)
    with trace.use_span(started, end_on_exit=True, record_exception=True, set_status_on_exception=True):
        yield started


def current_span_context() -> SpanContext | None:
    """The current span's context, to remember a request that joins shared work (a batch)."""
    span_context = trace.get_current_span().get_span_context()
    return span_context if span_context.is_valid else None


def parent_and_links(callers: Sequence[SpanContext | None]) -> tuple[otel_context.Context, list[Link]]:
    """For work done for several callers at once: the first caller's span as the parent (a new
    trace if it had none), and links to the others."""
    known = [c for c in callers if c is not None]
    if not known:
        return otel_context.Context(), []
    parent = trace.set_span_in_context(trace.NonRecordingSpan(known[0]), otel_context.Context())
    return parent, [Link(c) for c in known[1:]]


def fail(span_: Span, description: str) -> None:
    span_.set_status(Status(StatusCode.ERROR, description))


# -- gRPC clients -------------------------------------------------------------------------------


def client_interceptors() -> list[grpc.aio.ClientInterceptor]:
    """Interceptors for an asyncio channel: a CLIENT span per call, its context sent along.

    Empty while tracing is off, so a channel made then carries no interceptor at all. Unary calls
    only: the hub's clients (the connector runtime) make no streaming calls.
    """
    if _state.provider is None:
        return []
    return [_UnaryUnaryClient()]


def _client_span(details: grpc.aio.ClientCallDetails) -> tuple[Span, grpc.aio.ClientCallDetails]:
    method = details.method.decode() if isinstance(details.method, bytes) else str(details.method)
    service, _, name = method.lstrip("/").partition("/")
    started = _state.tracer.start_span(
        method.lstrip("/"),
        kind=SpanKind.CLIENT,
        attributes={"rpc.system": "grpc", "rpc.service": service, "rpc.method": name},
    )
    metadata = grpc.aio.Metadata(*(details.metadata or ()), *headers(started).items())
    return started, grpc.aio.ClientCallDetails(
        details.method, details.timeout, metadata, details.credentials, details.wait_for_ready
    )


def _end_client_span(started: Span, code: grpc.StatusCode, details: str | None) -> None:
    started.set_attribute("rpc.grpc.status_code", code.value[0])
    if code is not grpc.StatusCode.OK:
        fail(started, f"{code.name}: {details or ''}")
    started.end()


class _UnaryUnaryClient(grpc.aio.UnaryUnaryClientInterceptor):
    async def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        started, details = _client_span(details)
        try:
            call = await continuation(details, request)
            await call
        except grpc.aio.AioRpcError as exc:
            _end_client_span(started, exc.code(), exc.details())
            raise
        except BaseException as exc:
            _end_client_span(started, grpc.StatusCode.CANCELLED, repr(exc))
            raise
        _end_client_span(started, grpc.StatusCode.OK, None)
        return call


# -- gRPC servers (called by the chassis) -------------------------------------------------------


class ServerSpans:
    """The SERVER span of one method's calls; built once per method when tracing is on."""

    def __init__(self, full_method: str) -> None:
        self.name = full_method.lstrip("/")
        service, _, method = self.name.partition("/")
        self.attributes = {"rpc.system": "grpc", "rpc.service": service, "rpc.method": method}

    def start(self, metadata: Sequence[tuple[str, Any]]) -> tuple[Span, object]:
        """Start the span, continuing the caller's ``traceparent`` (in the call's ``metadata``), and
        make it current."""
        carrier: Mapping[str, Any] = {k: v for k, v in metadata if k in (TRACEPARENT, TRACESTATE)}
        parent = _PROPAGATOR.extract(carrier, getter=_GETTER) if carrier else None
        new = _state.new_traces if parent is None else None
        if new is not None and not trace.get_current_span().get_span_context().is_valid:
            # A new trace, its fate decided by ratio: most are dropped (nine in ten at the shipped
            # 10%). Such a call gets the span the SDK would make it, without the SDK's sampler chain: a
            # context that is not recorded, only passed on (so the work it causes is not sampled
            # either). A kept one's trace id goes to the SDK, which decides the same.
            trace_id = new.ids.draw()
            if trace_id & TraceIdRatioBased.TRACE_ID_LIMIT >= new.bound:
                dropped = NonRecordingSpan(
                    SpanContext(
                        trace_id, new.ids.generate_span_id(), is_remote=False, trace_flags=new.dropped
                    )
                )
                return dropped, otel_context.attach(trace.set_span_in_context(dropped))
            new.ids.hand_over(trace_id)
        started = _state.tracer.start_span(
            self.name, context=parent, kind=SpanKind.SERVER, attributes=self.attributes
        )
        return started, otel_context.attach(trace.set_span_in_context(started))

    @staticmethod
    def end(started: Span, token: object, code: grpc.StatusCode) -> str | None:
        """End the span with the call's status; returns its trace id when sampled (for exemplars)."""
        otel_context.detach(token)  # type: ignore[arg-type]
        if not started.is_recording():  # not sampled: nothing to record or export
            return None
        started.set_attribute("rpc.grpc.status_code", code.value[0])
        if code in _SERVER_ERRORS:
            started.set_status(Status(StatusCode.ERROR, code.name))
        started.end()
        return format(started.get_span_context().trace_id, "032x")


# The status codes OpenTelemetry's semantic conventions count as a server's error.
_SERVER_ERRORS = frozenset(
    {
        grpc.StatusCode.UNKNOWN,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.UNIMPLEMENTED,
        grpc.StatusCode.INTERNAL,
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DATA_LOSS,
    }
)


# -- databases ----------------------------------------------------------------------------------


def instrument_engine(engine: Any, schema: str) -> None:
    """A CLIENT span per SQL statement ``engine`` runs inside a trace (none for work outside one).

    The statement text is the parameterised SQL, never the values bound to it.
    """
    from sqlalchemy import event

    sync_engine = getattr(engine, "sync_engine", engine)
    system = {"postgresql": "postgresql", "sqlite": "sqlite"}.get(
        sync_engine.dialect.name, sync_engine.dialect.name
    )

    def before(_conn: Any, _cursor: Any, statement: str, _params: Any, context: Any, many: bool) -> None:
        if _state.provider is None or not trace.get_current_span().is_recording():
            return
        operation = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else "SQL"
        attributes: dict[str, Any] = {
            "db.system.name": system,
            "db.namespace": schema,
            "db.operation.name": operation,
            "db.query.text": statement[:4096],
        }
        if many and isinstance(_params, Sequence):
            attributes["db.operation.batch.size"] = len(_params)
        context._isthmus_span = _state.tracer.start_span(
            f"{operation} {schema}", kind=SpanKind.CLIENT, attributes=attributes
        )

    def after(_conn: Any, _cursor: Any, _statement: str, _params: Any, context: Any, _many: bool) -> None:
        started = getattr(context, "_isthmus_span", None)
        if started is not None:
            context._isthmus_span = None
            started.end()

    def failed(exception_context: Any) -> None:
        started = getattr(exception_context.execution_context, "_isthmus_span", None)
        if started is not None:
            exception_context.execution_context._isthmus_span = None
            error = exception_context.original_exception
            started.record_exception(error)
            fail(started, type(error).__name__)
            started.end()

    event.listen(sync_engine, "before_cursor_execute", before)
    event.listen(sync_engine, "after_cursor_execute", after)
    event.listen(sync_engine, "handle_error", failed)


# -- events -------------------------------------------------------------------------------------


def publish_span(system: str, routing_key: str, event_id: str, recorded_in: Mapping[str, str]) -> Span:
    """The PRODUCER span of an event the relay publishes, child of the work that recorded it."""
    return _state.tracer.start_span(
        f"publish {routing_key}",
        context=extract(recorded_in),
        kind=SpanKind.PRODUCER,
        attributes={
            "messaging.system": system,
            "messaging.operation.type": "send",
            "messaging.destination.name": "isthmus.events",
            "messaging.rabbitmq.destination.routing_key": routing_key,
            "messaging.message.id": event_id,
        },
    )


def end_publish(started: Span, confirmed: Any) -> None:
    """End a PRODUCER span once the broker answered (``confirmed``: the future of its confirm)."""
    if confirmed.cancelled() or confirmed.exception() is not None or not confirmed.result():
        fail(started, "not confirmed by the broker")
    started.end()


def process_span(system: str, queue: str, routing_key: str, event_id: str, carrier: Mapping[str, Any]) -> Any:
    """The CONSUMER span of one event's handler: a context manager, child of the publishing span."""
    return span(
        f"process {routing_key}",
        kind=SpanKind.CONSUMER,
        parent=extract(carrier),
        attributes={
            "messaging.system": system,
            "messaging.operation.type": "process",
            "messaging.destination.name": queue,
            "messaging.consumer.group.name": queue,
            "messaging.rabbitmq.destination.routing_key": routing_key,
            "messaging.message.id": event_id,
        },
    )
