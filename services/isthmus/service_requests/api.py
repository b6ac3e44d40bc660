"""gRPC servicer: validates requests (naming proto field paths), builds commands, answers protos."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar

import grpc
from google.protobuf.message import Message

from isthmus.kernel.idempotency import outcome
from isthmus.kernel.ids import is_uuid
from isthmus.kernel.paging import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, page_size
from isthmus.kernel.timestamps import opt_duration, ts
from isthmus.kernel.violations import Violations
from isthmus.platform import auth, requests
from isthmus.platform.batching import Batcher
from isthmus.service_requests import handlers, messages
from isthmus.service_requests.domain import Actor, Assignee, Channel, Direction, Kind, Priority, State
from isthmus.service_requests.metrics import case_figures
from isthmus.service_requests.settings import ServiceRequestSettings
from isthmus.service_requests.store import CaseFilter, UnitOfWork, UnitOfWorkFactory
from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.service_requests.v1 import service_request_pb2 as pb
from isthmus_client.api.service_requests.v1 import service_requests_pb2 as rpc
from isthmus_client.api.service_requests.v1 import service_requests_pb2_grpc

C = TypeVar("C")
R = TypeVar("R")
M = TypeVar("M", bound=Message)

MAX_ID = 64
MAX_TEXT = 100_000


def actor(value: common_pb2.Actor) -> Actor:
    kind = common_pb2.ActorKind.Name(value.kind).removeprefix("ACTOR_KIND_") if value.kind else ""
    return Actor("" if kind == "UNSPECIFIED" else kind, value.id, value.display_name, auth.principal.get())


def _state(v: Violations, field: str, value: int) -> State | None:
    state: State | None = v.enum(field, value, pb.ServiceRequestState, "SERVICE_REQUEST_STATE_", State)
    return state


def _pair(v: Violations, prefix: str, source_system: str, external_id: str) -> None:
    if bool(source_system) != bool(external_id):
        missing = "external_id" if source_system else "source_system"
        v.add(prefix + missing, "source_system and external_id go together")


class Writes:
    """What the context's servicers share: units of work, settings, the clock, and running writes that
    may repeat an earlier ``request_id``."""

    def __init__(
        self, uows: UnitOfWorkFactory, settings: ServiceRequestSettings, clock: Callable[[], datetime]
    ) -> None:
        self.uows = uows
        self.settings = settings
        self.clock = clock

    def _env(self) -> handlers.Env:
        return handlers.Env(self.settings, self.clock())

    async def _command(self, handler: Callable[[C, UnitOfWork, handlers.Env], Awaitable[R]], command: C) -> R:
        """Runs a write use case (one command, or a batch of them) in its own unit of work."""
        async with self.uows() as uow:
            return await handler(command, uow, self._env())

    async def _answer(
        self,
        request: Message,
        resource: type[M],
        handler: Callable[[C, UnitOfWork, handlers.Env], Awaitable[tuple[R, bool]]],
        command: C,
    ) -> tuple[R | M, bool]:
        """Runs a write that may repeat an earlier ``request_id``: the resource as the first request
        left it and True, or the handler's result (whose commit remembers the answer)."""
        async with self.uows() as uow:
            if requests.request_id(request):
                earlier = await requests.recall(uow.session, request, resource)
                if earlier is not None:
                    return earlier, True
                uow.request = request
            return await handler(command, uow, self._env())


class ServiceRequestServicer(Writes, service_requests_pb2_grpc.ServiceRequestServiceServicer):
    def __init__(
        self, uows: UnitOfWorkFactory, settings: ServiceRequestSettings, clock: Callable[[], datetime]
    ) -> None:
        super().__init__(uows, settings, clock)
        case_figures()  # exported from the start, before the first case, so dashboards find them
        # Concurrent plain writes share a transaction (group commit; docs/decisions/0018-group-commit.md),
        # request_ids included; a batch that fails as a whole runs each command alone.
        self._opens: Batcher[tuple[handlers.OpenServiceRequest, Message], handlers.Answer] = Batcher(
            "open_service_request",
            partial(self._command, handlers.open_service_requests),
            lambda item: self._answer(item[1], pb.ServiceRequest, handlers.open_or_replay, item[0]),
        )
        self._logs: Batcher[tuple[handlers.LogInteraction, Message], handlers.Answer] = Batcher(
            "log_interaction",
            partial(self._command, handlers.log_interactions),
            lambda item: self._answer(item[1], pb.Interaction, handlers.log_or_replay, item[0]),
        )

    async def OpenServiceRequest(
        self, request: rpc.OpenServiceRequestRequest, context: grpc.aio.ServicerContext
    ) -> rpc.OpenServiceRequestResponse:
        v = Violations()
        cmd = handlers.OpenServiceRequest(
            customer_id=v.text("customer_id", request.customer_id, required=True, limit=MAX_ID),
            channel=v.enum("channel", request.channel, pb.Channel, "CHANNEL_", Channel),
            kind=v.enum("kind", request.kind, pb.ServiceRequestKind, "SERVICE_REQUEST_KIND_", Kind),
            priority=v.enum(
                "priority", request.priority, pb.Priority, "PRIORITY_", Priority, default=Priority.NORMAL
            ),
            subject=v.text("subject", request.subject, required=True, limit=1000).strip(),
            order_id=v.text("order_id", request.order_id, limit=MAX_ID),
            order_line_id=v.text("order_line_id", request.order_line_id, limit=MAX_ID),
            category=v.text("category", request.category),
            sub_category=v.text("sub_category", request.sub_category),
            description=v.text("description", request.description, limit=MAX_TEXT),
            reason_codes=tuple(
                v.text(f"reason_codes[{i}]", code, required=True, limit=64)
                for i, code in enumerate(request.reason_codes)
            ),
            assignee=Assignee(
                v.text("assignee.agent_id", request.assignee.agent_id),
                v.text("assignee.queue", request.assignee.queue),
            ),
            source_system=v.text("source_system", request.source_system),
            external_id=v.text("external_id", request.external_id),
            actor=actor(request.actor),
            opened_at=v.instant(request, "open_time"),
        )
        if cmd.order_line_id and not cmd.order_id:
            v.add("order_id", "is required when order_line_id is given")
        if cmd.kind is Kind.TRACER and not cmd.order_id:
            v.add("order_id", "is required for a tracer: the order whose parcel the carrier is to trace")
        if cmd.order_id and not is_uuid(cmd.order_id):
            v.add("order_id", "must be an order id of the order service (a UUID)")
        if cmd.sub_category and not cmd.category:
            v.add("category", "is required when sub_category is given")
        _pair(v, "", cmd.source_system, cmd.external_id)
        v.guard(lambda: requests.request_id(request))
        v.raise_any()
        if handlers.batchable_open(cmd):
            opened, replayed = await self._opens.submit((cmd, request))
        else:
            opened, replayed = await self._answer(request, pb.ServiceRequest, handlers.open_or_replay, cmd)
        if not replayed:
            case_figures().opened.labels(cmd.kind.lower(), cmd.channel.lower()).inc()
        return rpc.OpenServiceRequestResponse(
            service_request=_message(opened, messages.service_request), outcome=outcome(not replayed)
        )

    async def GetServiceRequest(
        self, request: rpc.GetServiceRequestRequest, context: grpc.aio.ServicerContext
    ) -> rpc.GetServiceRequestResponse:
        v = Violations()
        case_id = v.text("service_request_id", request.service_request_id, required=True, limit=MAX_ID)
        v.raise_any()
        async with self.uows() as uow:
            sr = await handlers._load(uow, case_id)
        return rpc.GetServiceRequestResponse(service_request=messages.service_request(sr))

    async def ListServiceRequests(
        self, request: rpc.ListServiceRequestsRequest, context: grpc.aio.ServicerContext
    ) -> rpc.ListServiceRequestsResponse:
        v = Violations()
        states = tuple(
            s for i, value in enumerate(request.states) if (s := _state(v, f"states[{i}]", value)) is not None
        )
        due_within = v.guard(lambda: opt_duration(request, "due_within")) or timedelta(0)
        if due_within < timedelta(0):
            v.add("due_within", "must not be negative")
        if request.HasField("due_within") and not request.overdue:
            v.add("overdue", "must be true when due_within is given")
        kind = v.enum(
            "kind", request.kind, pb.ServiceRequestKind, "SERVICE_REQUEST_KIND_", Kind, optional=True
        )
        priority = v.enum("priority", request.priority, pb.Priority, "PRIORITY_", Priority, optional=True)
        size = page_size_of(v, request.page_size, default=DEFAULT_PAGE_SIZE)
        v.raise_any()
        flt = CaseFilter(
            customer_id=request.customer_id,
            agent_id=request.assignee_agent_id,
            queue=request.queue,
            states=states,
            kind=kind,
            priority=priority,
            overdue_within=due_within if request.overdue else None,
        )
        async with self.uows() as uow:
            found, token = await handlers.list_service_requests(
                flt, size, request.page_token, uow, self.clock()
            )
        return rpc.ListServiceRequestsResponse(
            service_requests=[messages.service_request(sr) for sr in found], next_page_token=token
        )

    async def AssignServiceRequest(
        self, request: rpc.AssignServiceRequestRequest, context: grpc.aio.ServicerContext
    ) -> rpc.AssignServiceRequestResponse:
        v = Violations()
        case_id = v.text("service_request_id", request.service_request_id, required=True, limit=MAX_ID)
        assignee = Assignee(
            v.text("assignee.agent_id", request.assignee.agent_id),
            v.text("assignee.queue", request.assignee.queue),
        )
        if not assignee:
            v.add("assignee", "needs an agent_id, a queue, or both")
        if request.expected_version < 0:
            v.add("expected_version", "must not be negative")
        note = v.text("note", request.note, limit=MAX_TEXT)
        v.raise_any()
        cmd = handlers.AssignServiceRequest(
            case_id, assignee, request.expected_version, note, actor(request.actor)
        )
        sr, replayed = await self._answer(
            request, pb.ServiceRequest, _applied(handlers.assign_service_request), cmd
        )
        return rpc.AssignServiceRequestResponse(
            service_request=_message(sr, messages.service_request), outcome=outcome(not replayed)
        )

    async def ChangeServiceRequestState(
        self, request: rpc.ChangeServiceRequestStateRequest, context: grpc.aio.ServicerContext
    ) -> rpc.ChangeServiceRequestStateResponse:
        v = Violations()
        case_id = v.text("service_request_id", request.service_request_id, required=True, limit=MAX_ID)
        target = _state(v, "target_state", request.target_state)
        if request.expected_version < 0:
            v.add("expected_version", "must not be negative")
        resolution_code = v.text("resolution_code", request.resolution_code)
        if target is State.RESOLVED and not resolution_code:
            v.add("resolution_code", "is required to resolve a case")
        note = v.text("note", request.note, limit=MAX_TEXT)
        occurred_at = v.instant(request, "occur_time")
        v.raise_any()
        assert target is not None
        cmd = handlers.ChangeServiceRequestState(
            case_id,
            target,
            request.expected_version,
            resolution_code,
            note,
            actor(request.actor),
            occurred_at,
        )
        sr, replayed = await self._answer(
            request, pb.ServiceRequest, _applied(handlers.change_service_request_status), cmd
        )
        if not replayed and target is State.RESOLVED:
            case = _message(sr, messages.service_request)
            kind = pb.ServiceRequestKind.Name(case.kind).removeprefix("SERVICE_REQUEST_KIND_").lower()
            case_figures().resolved.labels(kind).inc()
        return rpc.ChangeServiceRequestStateResponse(
            service_request=_message(sr, messages.service_request), outcome=outcome(not replayed)
        )

    async def LogInteraction(
        self, request: rpc.LogInteractionRequest, context: grpc.aio.ServicerContext
    ) -> rpc.LogInteractionResponse:
        v = Violations()
        i = request.interaction
        p = "interaction."
        if not request.HasField("interaction"):
            v.add("interaction", "is required")
        cmd = handlers.LogInteraction(
            direction=v.enum(p + "direction", i.direction, pb.Direction, "DIRECTION_", Direction),
            channel=v.enum(p + "channel", i.channel, pb.Channel, "CHANNEL_", Channel),
            service_request_id=v.text(p + "service_request_id", i.service_request_id, limit=MAX_ID),
            customer_id=v.text(p + "customer_id", i.customer_id, limit=MAX_ID),
            author=actor(i.author),
            occurred_at=v.instant(i, "occur_time", p + "occur_time"),
            subject=v.text(p + "subject", i.subject, limit=1000).strip(),
            body=v.text(p + "body", i.body, limit=MAX_TEXT),
            in_reply_to_id=v.text(p + "in_reply_to_id", i.in_reply_to_id, limit=MAX_ID),
            corrects_id=v.text(p + "corrects_id", i.corrects_id, limit=MAX_ID),
            duration=v.guard(lambda: opt_duration(i, "duration", p + "duration")),
            source_system=v.text(p + "source_system", i.source_system),
            external_id=v.text(p + "external_id", i.external_id),
        )
        if not cmd.service_request_id and not cmd.customer_id:
            v.add(p + "customer_id", "is required when service_request_id is empty")
        if not cmd.body.strip() and not cmd.subject:
            v.add(p + "body", "is required (or a subject)")
        if cmd.duration is not None and cmd.duration < timedelta(0):
            v.add(p + "duration", "must not be negative")
        _pair(v, p, cmd.source_system, cmd.external_id)
        v.guard(lambda: requests.request_id(request))
        v.raise_any()
        if handlers.batchable_log(cmd):
            logged, replayed = await self._logs.submit((cmd, request))
        else:
            logged, replayed = await self._answer(request, pb.Interaction, handlers.log_or_replay, cmd)
        return rpc.LogInteractionResponse(
            interaction=_message(logged, messages.interaction), outcome=outcome(not replayed)
        )

    async def ListInteractions(
        self, request: rpc.ListInteractionsRequest, context: grpc.aio.ServicerContext
    ) -> rpc.ListInteractionsResponse:
        v = Violations()
        given = [bool(request.service_request_id), bool(request.customer_id), request.orphaned_only]
        if sum(given) != 1:
            v.add(
                "service_request_id", "give exactly one of service_request_id, customer_id or orphaned_only"
            )
        size = page_size_of(v, request.page_size, default=DEFAULT_PAGE_SIZE)
        v.raise_any()
        async with self.uows() as uow:
            found, token = await handlers.list_interactions(
                request.service_request_id,
                request.customer_id,
                request.orphaned_only,
                size,
                request.page_token,
                uow,
            )
        return rpc.ListInteractionsResponse(
            interactions=[messages.interaction(i) for i in found], next_page_token=token
        )

    async def GetContactSuppression(
        self, request: rpc.GetContactSuppressionRequest, context: grpc.aio.ServicerContext
    ) -> rpc.GetContactSuppressionResponse:
        v = Violations()
        customer_id = v.text("customer_id", request.customer_id, required=True, limit=MAX_ID)
        v.raise_any()
        async with self.uows() as uow:
            s = await handlers.get_suppression(customer_id, uow)
        return rpc.GetContactSuppressionResponse(
            customer_id=s.customer_id,
            suppressed=s.suppressed,
            reason=s.reason,
            service_request_ids=s.service_request_ids,
            suppress_time=ts(s.since),
        )


def _applied(
    handler: Callable[[C, UnitOfWork, handlers.Env], Awaitable[R]],
) -> Callable[[C, UnitOfWork, handlers.Env], Awaitable[tuple[R, bool]]]:
    async def run(command: C, uow: UnitOfWork, env: handlers.Env) -> tuple[R, bool]:
        return await handler(command, uow, env), False

    return run


def _message(value: Any, convert: Callable[[Any], Message]) -> Any:
    """A replayed resource is already its message; a new one is converted."""
    return value if isinstance(value, Message) else convert(value)


def page_size_of(v: Violations, value: int, *, default: int, maximum: int = MAX_PAGE_SIZE) -> int:
    return v.guard(lambda: page_size(value, default=default, maximum=maximum)) or default
